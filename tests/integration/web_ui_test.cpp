// The chat page's files as the real `minerva serve` sends them: byte-identical to web/ (so the
// build embedded them), public while the API needs the key, and revalidated by ETag. The page
// itself is driven in a browser by tests/integration/web_ui/.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "server_fixture.h"

namespace minerva {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

std::string read_source(const std::string& name) {
  std::ifstream in(std::string(MINERVA_WEB_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class WebUiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"-m", testing::shared_path("models/stories260K.gguf"), "-t", "1", "--api-key", "k"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_GT(server_->port(), 0) << server_->log(); }
  HttpClient http() { return HttpClient(server_->port()); }
  static ServerProcess* server_;
};
ServerProcess* WebUiTest::server_ = nullptr;

TEST_F(WebUiTest, ServesTheEmbeddedFilesWithoutTheKey) {
  const struct {
    const char* path;
    const char* file;
    const char* type;
  } files[] = {{"/", "index.html", "text/html; charset=utf-8"},
               {"/ui/app.js", "app.js", "text/javascript; charset=utf-8"},
               {"/ui/markdown.js", "markdown.js", "text/javascript; charset=utf-8"},
               {"/ui/style.css", "style.css", "text/css; charset=utf-8"}};
  for (const auto& f : files) {
    SCOPED_TRACE(f.path);
    const auto res = http().request("GET", f.path);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.headers.at("content-type"), f.type);
    EXPECT_EQ(res.headers.at("cache-control"), "no-cache");
    EXPECT_EQ(res.headers.at("x-content-type-options"), "nosniff");
    const std::string source = read_source(f.file);
    ASSERT_FALSE(source.empty());
    EXPECT_TRUE(res.body == source) << "the served file differs from web/" << f.file;
  }
}

TEST_F(WebUiTest, TheApiStillNeedsTheKey) {
  EXPECT_EQ(http().request("GET", "/v1/models").status, 401);
  EXPECT_EQ(http().request("GET", "/ui/missing.js").status, 401);
  EXPECT_EQ(http().request("GET", "/v1/models", {}, {{"Authorization", "Bearer k"}}).status, 200);
}

TEST_F(WebUiTest, PageHasAContentSecurityPolicy) {
  const auto res = http().request("GET", "/");
  const std::string csp = res.headers.at("content-security-policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << csp;
}

TEST_F(WebUiTest, ETagRevalidation) {
  const auto first = http().request("GET", "/ui/app.js");
  const std::string etag = first.headers.at("etag");
  ASSERT_EQ(etag.rfind("W/\"", 0), 0u) << etag;
  const auto same = http().request("GET", "/ui/app.js", {}, {{"If-None-Match", etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(http().request("GET", "/ui/app.js", {}, {{"If-None-Match", etag.substr(2)}}).status, 304);
  EXPECT_EQ(http().request("GET", "/ui/app.js", {}, {{"If-None-Match", "\"other\", " + etag}}).status, 304);
  EXPECT_EQ(http().request("GET", "/ui/app.js", {}, {{"If-None-Match", "\"other\""}}).status, 200);
  EXPECT_NE(http().request("GET", "/").headers.at("etag"), etag) << "each file has its own tag";
}

}  // namespace
}  // namespace minerva
