#include "server/web_ui.h"

#include <httplib.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace minerva {

namespace {

// The page only loads its own files and talks to its own origin; model output is rendered as
// text, and this policy is a second wall should that ever fail (no inline scripts, no plugins).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string etag_of(std::string_view body) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a: a content fingerprint, not a security measure
  for (const char c : body) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char buf[32];
  // Weak: the same file may be sent gzip-compressed or not (httplib decides per request).
  std::snprintf(buf, sizeof buf, "W/\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

// If-None-Match holds one or more comma-separated tags, weak (W/"...") or not, or "*"; the
// comparison is weak, so only the quoted part counts.
bool etag_matches(const std::string& if_none_match, const std::string& etag) {
  if (if_none_match.empty()) return false;
  if (if_none_match == "*") return true;
  const std::string_view quoted = std::string_view(etag).substr(etag.find('"'));
  return if_none_match.find(quoted) != std::string::npos;
}

// httplib route patterns are regular expressions; the asset paths only need '.' escaped.
std::string route_pattern(std::string_view path) {
  std::string out;
  for (const char c : path) {
    if (c == '.') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

bool is_web_ui_path(std::string_view path) {
  for (const WebAsset& a : web_assets()) {
    if (a.path == path) return true;
  }
  return false;
}

void register_web_ui(httplib::Server& http) {
  for (const WebAsset& asset : web_assets()) {
    const bool html = asset.content_type.rfind("text/html", 0) == 0;
    http.Get(route_pattern(asset.path),
             [asset, html, etag = etag_of(asset.body)](const httplib::Request& req, httplib::Response& res) {
               // no-cache: the browser keeps the file but asks each time, so a new binary's page
               // shows at once; an unchanged one costs a 304.
               res.set_header("Cache-Control", "no-cache");
               res.set_header("ETag", etag);
               res.set_header("X-Content-Type-Options", "nosniff");
               if (html) {
                 res.set_header("Content-Security-Policy", kContentSecurityPolicy);
                 res.set_header("Referrer-Policy", "no-referrer");
               }
               if (etag_matches(req.get_header_value("If-None-Match"), etag)) {
                 res.status = 304;
                 return;
               }
               res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
             });
  }
}

}  // namespace minerva
