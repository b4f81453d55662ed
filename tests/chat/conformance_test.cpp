// Every case of every shared chat-templates/*.expected.json, rendered byte-exactly (or raising
// where Python Jinja2 raised), with strftime_now frozen at 2025-01-15 12:00:00 as the cases were.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "chat/template.h"
#include "test_paths.h"

namespace minerva::chat {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string name;  // template name
  size_t index;
  json data;
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  fs::path dir = minerva::testing::shared_path("chat-templates");
  if (!fs::exists(dir)) return cases;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string f = e.path().filename().string();
    if (f.size() > 14 && f.substr(f.size() - 14) == ".expected.json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string name = f.filename().string();
    name = name.substr(0, name.size() - 14);
    json arr = json::parse(read_file(f));
    for (size_t k = 0; k < arr.size(); ++k) cases.push_back(Case{name, k, arr[k]});
  }
  return cases;
}

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = load_cases();
  return cases;
}

RenderOptions frozen_clock() {
  RenderOptions opts;
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 15;
  tm.tm_hour = 12;
  tm.tm_wday = 3;  // Wednesday
  tm.tm_yday = 14;
  opts.now = tm;
  return opts;
}

// Renders one case; returns "" on a match, else a description of the mismatch.
std::string run_case(const Case& c) {
  static std::map<std::string, Result<Template>> cache;
  auto it = cache.find(c.name);
  if (it == cache.end()) {
    std::string src = read_file(minerva::testing::shared_path("chat-templates/" + c.name + ".jinja"));
    it = cache.emplace(c.name, Template::parse(src)).first;
  }
  if (!it->second.ok()) return "parse failed: " + it->second.error().message;
  const json& d = c.data;
  ChatTemplateInputs in;
  in.messages = d["messages"];
  in.tools = d.contains("tools") ? d["tools"] : json(nullptr);
  in.add_generation_prompt = d.value("add_generation_prompt", false);
  if (d.contains("bos_token") && d["bos_token"].is_string()) in.bos_token = d["bos_token"].get<std::string>();
  if (d.contains("eos_token") && d["eos_token"].is_string()) in.eos_token = d["eos_token"].get<std::string>();
  auto out = apply_chat_template(*it->second, in, frozen_clock());
  if (d.value("expected_error", false)) {
    if (out.ok()) return "expected an error (" + d.value("error", std::string()) + "), got output:\n" + *out;
    return "";
  }
  if (!out.ok()) return "unexpected error: " + out.error().message;
  std::string want = d["expected"].get<std::string>();
  if (*out != want) return "mismatch\n--- expected ---\n" + want + "\n--- got ---\n" + *out;
  return "";
}

class Conformance : public ::testing::TestWithParam<size_t> {};

TEST_P(Conformance, RendersLikeJinja2) {
  const Case& c = all_cases()[GetParam()];
  std::string problem = run_case(c);
  EXPECT_EQ(problem, "") << c.name << " case " << c.index << " (" << c.data.value("case", std::string()) << ")";
}

std::vector<size_t> case_indices() {
  std::vector<size_t> idx;
  for (size_t k = 0; k < all_cases().size(); ++k) idx.push_back(k);
  return idx;
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  const Case& c = all_cases()[info.param];
  std::string n = c.name + "_" + std::to_string(c.index);
  for (char& ch : n) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(ChatTemplates, Conformance, ::testing::ValuesIn(case_indices()), case_name);

// One line per template: N/N passing, so a report can quote it.
TEST(ConformanceSummary, AllTemplatesPass) {
  ASSERT_FALSE(all_cases().empty()) << "no cases under " << minerva::testing::shared_path("chat-templates");
  std::map<std::string, std::pair<int, int>> tally;
  for (const auto& c : all_cases()) {
    auto& t = tally[c.name];
    ++t.second;
    if (run_case(c).empty()) ++t.first;
  }
  int failed = 0;
  for (const auto& [name, t] : tally) {
    std::printf("%-48s %d/%d\n", name.c_str(), t.first, t.second);
    failed += t.second - t.first;
  }
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace minerva::chat
