#pragma once

// The browser chat page (web/): its files are compiled into the binary and served at GET /
// and GET /ui/NAME, without the API key (the page asks for the key and sends it itself).

#include <span>
#include <string_view>

namespace httplib {
class Server;
}

namespace minerva {

struct WebAsset {
  std::string_view path;  // "/" or "/ui/NAME"
  std::string_view content_type;
  std::string_view body;
};

// Every embedded file; defined in web_assets.cpp, which the build generates from web/.
std::span<const WebAsset> web_assets();

// True for the page's own paths, which are public so the page can load before a key is typed.
bool is_web_ui_path(std::string_view path);

// Adds GET routes for every embedded file, with an ETag so browsers revalidate cheaply.
void register_web_ui(httplib::Server& http);

}  // namespace minerva
