// `minerva template render TEMPLATE.jinja CASES.json [--now TIME]`: renders every case of a
// cases file (the shared chat-templates/*.expected.json format) with a Jinja chat template
// and prints a JSON array, one {"output": ...} or {"error": ...} per case.
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "chat/template.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace minerva::cli {

namespace {

using json = nlohmann::ordered_json;

struct TemplateOptions {
  std::string template_path;
  std::string cases_path;
  std::string now;
};

// "2025-01-15T12:00:00" (or with a space) -> broken-down time with weekday and day of year.
Result<std::tm> parse_now(const std::string& text) {
  std::tm tm{};
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  char sep = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &year, &mon, &day, &sep, &hour, &min, &sec) != 7 ||
      (sep != 'T' && sep != ' ') || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return make_error("--now: '" + text + "' is not a time like 2025-01-15T12:00:00");
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const time_t t = timegm(&tm);  // normalizes and fills tm_wday / tm_yday
  std::tm out{};
  if (t == static_cast<time_t>(-1) || gmtime_r(&t, &out) == nullptr || out.tm_mday != day) {
    return make_error("--now: '" + text + "' is not a valid date");
  }
  return out;
}

json render_case(const chat::Template& tmpl, const json& c, const chat::RenderOptions& opts) {
  if (!c.is_object()) return json{{"error", "the case is not a JSON object"}};
  chat::ChatTemplateInputs in;
  if (auto m = c.find("messages"); m != c.end()) in.messages = *m;
  if (auto t = c.find("tools"); t != c.end()) in.tools = *t;
  if (auto g = c.find("add_generation_prompt"); g != c.end() && g->is_boolean())
    in.add_generation_prompt = g->get<bool>();
  if (auto b = c.find("bos_token"); b != c.end() && b->is_string()) in.bos_token = b->get<std::string>();
  if (auto e = c.find("eos_token"); e != c.end() && e->is_string()) in.eos_token = e->get<std::string>();
  auto out = chat::apply_chat_template(tmpl, in, opts);
  if (!out) return json{{"error", out.error().message}};
  return json{{"output", std::move(out.value())}};
}

int render(const TemplateOptions& o) {
  chat::RenderOptions opts;
  if (!o.now.empty()) {
    auto now = parse_now(o.now);
    if (!now) return report(now.error());
    opts.now = now.value();
  }
  auto source = read_text_file(o.template_path);
  if (!source) return report(source.error());
  auto cases_text = read_text_file(o.cases_path);
  if (!cases_text) return report(cases_text.error());
  json cases = json::parse(cases_text.value(), nullptr, /*allow_exceptions=*/false);
  if (cases.is_discarded()) return report(make_error(o.cases_path + ": not valid JSON"));
  if (!cases.is_array()) return report(make_error(o.cases_path + ": expected a JSON array of cases"));
  auto tmpl = chat::Template::parse(source.value());
  if (!tmpl) return report(tmpl.error().with_context(o.template_path));

  json results = json::array();
  for (const json& c : cases) results.push_back(render_case(tmpl.value(), c, opts));
  const std::string text = results.dump(2, ' ', false, json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

Command register_template(CLI::App& app) {
  auto o = std::make_shared<TemplateOptions>();
  CLI::App* sub = app.add_subcommand("template", "Work with Jinja chat templates");
  sub->require_subcommand(1);
  CLI::App* r = sub->add_subcommand(
      "render", "Render every case of a JSON cases file with a chat template; prints a JSON array of results");
  r->add_option("template", o->template_path, "Jinja chat template file")->required();
  r->add_option("cases", o->cases_path,
                "JSON array of cases: {messages, tools, add_generation_prompt, bos_token, eos_token}")
      ->required();
  r->add_option("--now", o->now, "Time for strftime_now(), e.g. 2025-01-15T12:00:00 (default: now)");
  return {sub, [o] { return render(*o); }};
}

}  // namespace minerva::cli
