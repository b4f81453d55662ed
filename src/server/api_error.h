// server: the OpenAI-compatible HTTP API over the engine's scheduler.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace minerva {

// An error a request gets back: HTTP status plus OpenAI's error object fields.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";  // invalid_request_error, authentication_error, ...
  std::string param;                           // the request field at fault, if any
  std::string code;

  // {"error": {"message", "type", "param", "code"}}; param/code are null when empty.
  nlohmann::json to_json() const;
};

ApiError bad_request(std::string message, std::string param = {});

}  // namespace minerva
