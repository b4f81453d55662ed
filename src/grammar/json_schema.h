// grammar: JSON Schema -> GBNF, so that every sentence of the grammar is a JSON document the
// schema accepts. Anything that cannot be guaranteed is an error naming the keyword and its
// JSON pointer, never a silently looser grammar.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "util/error.h"

namespace minerva::grammar {

// Builds one GBNF text out of one or more schemas. Each add() returns the name of the rule that
// matches documents of that schema; the caller writes the `root` rule (or uses schema_to_gbnf).
class SchemaConverter {
 public:
  // `pointer_prefix` is prepended to JSON pointers in errors (e.g. "/tools/0/function/parameters").
  Result<std::string> add(const nlohmann::ordered_json& schema, const std::string& pointer_prefix = "");
  // Adds a rule; returns its (possibly uniquified) name.
  std::string add_rule(const std::string& name, const std::string& body);
  // All rules, one per line.
  std::string gbnf() const;

 private:
  Result<std::string> visit(const nlohmann::ordered_json& s, const std::string& ptr);
  Result<std::string> visit_object(const nlohmann::ordered_json& s, const std::string& ptr);
  Result<std::string> visit_array(const nlohmann::ordered_json& s, const std::string& ptr);
  Result<std::string> visit_string(const nlohmann::ordered_json& s, const std::string& ptr);
  Result<std::string> visit_number(const nlohmann::ordered_json& s, const std::string& ptr, bool integer);
  Result<std::string> visit_type(const nlohmann::ordered_json& s, const std::string& ptr, const std::string& type);
  Result<nlohmann::ordered_json> resolve_ref(const std::string& ref, const std::string& ptr) const;
  Result<nlohmann::ordered_json> merge_all_of(const nlohmann::ordered_json& s, const std::string& ptr) const;
  std::string primitive(const std::string& name);  // ensures a shared helper rule exists
  std::string rule_name_for(const std::string& ptr);

  const nlohmann::ordered_json* doc_ = nullptr;  // the schema being added ($ref target)
  std::string prefix_;
  std::map<std::string, std::string> rules_;
  std::unordered_map<std::string, std::string> ref_rules_;  // prefix + "#/pointer" -> rule
};

// The GBNF of one schema: `root` matches exactly the documents produced for it.
Result<std::string> schema_to_gbnf(const nlohmann::ordered_json& schema);

// Any JSON object (response_format json_object).
std::string json_object_gbnf();

// GBNF text for a string literal matching exactly `bytes`.
std::string gbnf_literal(const std::string& bytes);

}  // namespace minerva::grammar
