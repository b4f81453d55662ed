#include "cli/common.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kernels/thread_pool.h"

namespace minerva::cli {

int report(const Error& e) {
  std::fprintf(stderr, "minerva: %s\n", e.message.c_str());
  return 1;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(path + ": read error");
  return ss.str();
}

Result<std::vector<Token>> parse_token_list(const std::string& text) {
  std::vector<Token> out;
  size_t pos = 0;
  size_t index = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || end == nullptr || *end != '\0' || errno != 0 || v < 0 || v > INT32_MAX) {
      return make_error("--tokens: element " + std::to_string(index) + " ('" + item +
                        "') is not a token id (expected comma-separated non-negative integers)");
    }
    out.push_back(static_cast<Token>(v));
    pos = comma + 1;
    ++index;
  }
  return out;
}

int64_t choose_ctx(const LoadedModel& m, int64_t requested) {
  if (requested > 0) return requested;
  return std::min<int64_t>(m.model->hparams().n_ctx_train, 4096);
}

int choose_threads(int requested) { return requested > 0 ? requested : default_thread_count(); }

void add_huge_pages_option(CLI::App* sub, HugePages* mode) {
  sub->add_option_function<std::string>(
         "--huge-pages", [mode](const std::string& s) { *mode = parse_huge_pages(s).value(); },
         "Move the weights from the mapped file into 2 MB pages in the background (generation reads them "
         "faster): auto (files of 32 MB or more that fit in half the free memory), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}, CLI::ignore_case))
      ->default_str("auto");
}

}  // namespace minerva::cli
