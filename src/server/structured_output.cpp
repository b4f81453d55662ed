#include "server/structured_output.h"

#include "grammar/json_schema.h"
#include "grammar/matcher.h"

namespace minerva {
namespace {

using json = nlohmann::ordered_json;

bool valid_function_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<ApiError> compile(const std::string& gbnf, const std::string& param, StructuredOutput& out) {
  auto g = grammar::parse_gbnf(gbnf);
  if (!g) return bad_request(g.error().message, param);
  if (grammar::Matcher m(g.value()); m.overflowed()) {
    return bad_request("the grammar is too ambiguous: its start needs more than " +
                           std::to_string(grammar::Matcher::kMaxExpansion) + " parse items",
                       param);
  }
  out.gbnf = gbnf;
  out.grammar = g.value();
  return std::nullopt;
}

std::optional<ApiError> parse_response_format(const json& body, std::string& gbnf) {
  auto it = body.find("response_format");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object() || !it->contains("type") || !(*it)["type"].is_string()) {
    return bad_request("'response_format' must be an object with a string 'type'", "response_format");
  }
  const std::string type = (*it)["type"];
  if (type == "text") return std::nullopt;
  if (type == "json_object") {
    gbnf = grammar::json_object_gbnf();
    return std::nullopt;
  }
  if (type != "json_schema") {
    return bad_request("response_format type '" + type + "' is not supported (text, json_object or json_schema)",
                       "response_format.type");
  }
  const json* schema = nullptr;
  std::string param = "response_format.schema";
  std::string pointer = "/response_format/schema";
  if (auto js = it->find("json_schema"); js != it->end() && !js->is_null()) {
    if (!js->is_object())
      return bad_request("'response_format.json_schema' must be an object", "response_format.json_schema");
    if (auto s = js->find("schema"); s != js->end()) schema = &*s;
    param = "response_format.json_schema.schema";
    pointer = "/response_format/json_schema/schema";
  } else if (auto s = it->find("schema"); s != it->end()) {
    schema = &*s;
  }
  if (schema == nullptr) {
    return bad_request("response_format json_schema needs a schema ('json_schema': {'name', 'schema'} or 'schema')",
                       "response_format.json_schema");
  }
  grammar::SchemaConverter c;
  auto root = c.add(*schema, pointer);
  if (!root) return bad_request(root.error().message, param);
  c.add_rule("root", root.value());
  gbnf = c.gbnf();
  return std::nullopt;
}

// tools + tool_choice -> a grammar for one call (or, for "auto", text that does not start with '{').
std::optional<ApiError> parse_tools(const json& body, std::string& gbnf, bool& tool_calls) {
  auto tools = body.find("tools");
  if (tools == body.end() || tools->is_null()) return std::nullopt;
  if (!tools->is_array()) return bad_request("'tools' must be an array", "tools");
  std::string choice = "auto";
  std::string forced;
  if (auto tc = body.find("tool_choice"); tc != body.end() && !tc->is_null()) {
    if (tc->is_string()) {
      choice = tc->get<std::string>();
      if (choice != "auto" && choice != "none" && choice != "required") {
        return bad_request(
            "'tool_choice' must be 'auto', 'none', 'required' or {\"type\": \"function\", ...}, got '" + choice + "'",
            "tool_choice");
      }
    } else if (tc->is_object() && tc->contains("function") && (*tc)["function"].is_object() &&
               (*tc)["function"].contains("name") && (*tc)["function"]["name"].is_string()) {
      choice = "function";
      forced = (*tc)["function"]["name"].get<std::string>();
    } else {
      return bad_request("'tool_choice' must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}",
                         "tool_choice");
    }
  }
  if (tools->empty()) {
    if (choice == "required" || choice == "function") return bad_request("'tool_choice' needs 'tools'", "tool_choice");
    return std::nullopt;
  }
  grammar::SchemaConverter c;
  std::string calls;
  bool found_forced = false;
  for (size_t i = 0; i < tools->size(); ++i) {
    const json& t = (*tools)[i];
    const std::string f = "tools[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("function") || !t["function"].is_object()) {
      return bad_request("'" + f + "' must be {\"type\": \"function\", \"function\": {...}}", f);
    }
    if (auto ty = t.find("type"); ty != t.end() && *ty != "function") {
      return bad_request("'" + f + ".type' must be 'function'", f + ".type");
    }
    const json& fn = t["function"];
    if (!fn.contains("name") || !fn["name"].is_string() || !valid_function_name(fn["name"].get<std::string>())) {
      return bad_request("'" + f + ".function.name' must be 1-64 letters, digits, '_' or '-'", f + ".function.name");
    }
    const std::string name = fn["name"].get<std::string>();
    json params = json{{"type", "object"}};
    if (auto p = fn.find("parameters"); p != fn.end() && !p->is_null()) params = *p;
    auto args = c.add(params, "/tools/" + std::to_string(i) + "/function/parameters");
    if (!args) return bad_request(args.error().message, f + ".function.parameters");
    if (choice == "function" && name != forced) continue;
    found_forced = found_forced || name == forced;
    const std::string head = "{\"name\":" + json(name).dump() + ",\"arguments\":";
    calls += (calls.empty() ? "" : " | ") + grammar::gbnf_literal(head) + " " + args.value() + " \"}\"";
  }
  if (choice == "none") return std::nullopt;
  if (choice == "function" && !found_forced) {
    return bad_request("'tool_choice' names function '" + forced + "', which is not in 'tools'", "tool_choice");
  }
  c.add_rule("tool-call", calls);
  // Leading blank lines or spaces are allowed before either form; plain text must not start with '{'.
  c.add_rule("root", choice == "auto" ? R"([ \n]{0,4} ( tool-call | ( [^{ \n] .* )? ))" : R"([ \n]{0,4} tool-call)");
  gbnf = c.gbnf();
  tool_calls = true;
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> parse_structured_output(const json& body, bool chat, StructuredOutput& out) {
  std::string from_format;
  if (auto e = parse_response_format(body, from_format)) return e;
  std::string from_grammar;
  if (auto g = body.find("grammar"); g != body.end() && !g->is_null()) {
    if (!g->is_string()) return bad_request("'grammar' must be a string (GBNF)", "grammar");
    from_grammar = g->get<std::string>();
  }
  std::string from_tools;
  if (chat) {
    if (auto e = parse_tools(body, from_tools, out.tool_calls)) return e;
  }
  const int n = static_cast<int>(!from_format.empty()) + static_cast<int>(!from_grammar.empty()) +
                static_cast<int>(!from_tools.empty());
  if (n > 1) {
    return bad_request(
        "only one of 'response_format' (json_object/json_schema), 'grammar' and 'tools' (with "
        "tool_choice other than 'none') can constrain a request",
        !from_grammar.empty() ? "grammar" : "response_format");
  }
  if (!from_format.empty()) return compile(from_format, "response_format", out);
  if (!from_grammar.empty()) return compile(from_grammar, "grammar", out);
  if (!from_tools.empty()) return compile(from_tools, "tools", out);
  return std::nullopt;
}

}  // namespace minerva
