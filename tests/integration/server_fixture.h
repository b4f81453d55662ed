// A real `minerva serve` process on a free loopback port, and a minimal HTTP/1.1 client over
// raw sockets (so tests see bytes as they arrive and can drop a connection mid-stream).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_paths.h"

extern char** environ;

namespace minerva::testing {

class ServerProcess {
 public:
  // Starts `minerva serve --port 0 ARGS...` (no --port 0 when ARGS have a --port) and waits until
  // /health answers 200.
  explicit ServerProcess(std::vector<std::string> args) {
    log_path_ = ::testing::TempDir() + "minerva_serve_" + std::to_string(::getpid()) + "_" +
                std::to_string(counter()++) + ".log";
    std::vector<std::string> argv = {minerva_binary(), "serve"};
    if (std::find(args.begin(), args.end(), "--port") == args.end()) argv.insert(argv.end(), {"--port", "0"});
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (pid_ > 0 && port_ == 0 && std::chrono::steady_clock::now() < deadline) {
      const std::string log = this->log();
      const auto at = log.find("listening on http://127.0.0.1:");
      if (at != std::string::npos) port_ = std::atoi(log.c_str() + at + 30);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Wait for the model to load (503 while loading); stop waiting if the server gives up.
    while (port_ > 0 && std::chrono::steady_clock::now() < deadline) {
      const int h = health();
      if (h == 200 || h == 500) break;
      int status = 0;
      if (h == 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~ServerProcess() { stop(); }

  // Status of GET /health (0 when the server does not answer).
  int health() const;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // SIGTERM, then the exit status (128+signal if killed).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::string log_path_;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
};

// One SSE "data:" event and when it arrived.
struct SseEvent {
  std::string data;
  std::chrono::steady_clock::time_point at;
};

class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}

  // Sends a request; `on_bytes` sees the de-chunked body as it arrives and may return false to
  // drop the connection at once.
  HttpResponse request(const std::string& method, const std::string& path, const std::string& body = {},
                       std::map<std::string, std::string> headers = {},
                       const std::function<bool(const std::string&)>& on_bytes = {}) {
    HttpResponse res;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return res;
    }
    if (!body.empty() && headers.count("Content-Type") == 0) headers["Content-Type"] = "application/json";
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (size_t sent = 0; sent < req.size();) {
      const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    std::string raw;
    bool header_done = false;
    bool chunked = false;
    size_t body_start = 0;
    std::string decoded;
    size_t chunk_pos = 0;  // parse position in raw for chunked bodies
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
      if (!header_done) {
        const size_t end = raw.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        header_done = true;
        parse_head(raw.substr(0, end), res);
        chunked = res.headers["transfer-encoding"] == "chunked";
        body_start = chunk_pos = end + 4;
      }
      std::string fresh;
      if (chunked) {
        for (;;) {
          const size_t eol = raw.find("\r\n", chunk_pos);
          if (eol == std::string::npos) break;
          const size_t len = std::stoul(raw.substr(chunk_pos, eol - chunk_pos), nullptr, 16);
          if (raw.size() < eol + 2 + len + 2) break;
          fresh += raw.substr(eol + 2, len);
          chunk_pos = eol + 2 + len + 2;
        }
      } else {
        fresh = raw.substr(body_start + decoded.size());
      }
      decoded += fresh;
      if (on_bytes && !fresh.empty() && !on_bytes(fresh)) break;
    }
    ::close(fd);
    res.body = decoded;
    return res;
  }

  // POSTs and collects SSE data events as they arrive; `on_event` may return false to disconnect.
  HttpResponse stream(const std::string& path, const std::string& body, std::vector<SseEvent>& events,
                      const std::function<bool(const SseEvent&)>& on_event = {},
                      std::map<std::string, std::string> headers = {}) {
    std::string pending;
    return request("POST", path, body, std::move(headers), [&](const std::string& bytes) {
      pending += bytes;
      for (size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
        const std::string ev = pending.substr(0, end);
        pending.erase(0, end + 2);
        if (ev.rfind("data: ", 0) != 0) continue;  // comments (keep-alive)
        events.push_back({ev.substr(6), std::chrono::steady_clock::now()});
        if (on_event && !on_event(events.back())) return false;
      }
      return true;
    });
  }

 private:
  static void parse_head(const std::string& head, HttpResponse& res) {
    std::istringstream in(head);
    std::string line;
    std::getline(in, line);
    if (line.size() > 12) res.status = std::atoi(line.c_str() + 9);
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      res.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  int port_;
};

inline int ServerProcess::health() const { return HttpClient(port_).request("GET", "/health").status; }

}  // namespace minerva::testing
