#include "agents/tools/tool_spec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <regex>
#include <set>

#include "runtime/base/sha256.h"

namespace kaizen::tools {
namespace {

using json = nlohmann::json;

// Python 3.11's keywords (and soft keywords that would confuse a reader).
constexpr std::array<const char*, 38> kPythonKeywords = {
    "False",  "None",   "True",    "and",      "as",       "assert", "async",  "await",  "break",  "class",
    "continue", "def",  "del",     "elif",     "else",     "except", "finally", "for",   "from",   "global",
    "if",     "import", "in",      "is",       "lambda",   "nonlocal", "not",  "or",     "pass",   "raise",
    "return", "try",    "while",   "with",     "yield",    "match",  "case",   "type"};

const std::set<std::string>& JsonTypes() {
  static const std::set<std::string> types = {"string", "number", "integer", "boolean", "array", "object", "null"};
  return types;
}

Status SpecNameError(const std::string& name) {
  static const std::regex identifier("[A-Za-z_][A-Za-z0-9_]{0,63}");
  if (!std::regex_match(name, identifier)) {
    return Status::InvalidArgument("name '" + name +
                                   "' is not a tool name: 1-64 letters, digits or '_', not starting with a digit");
  }
  for (const char* k : kPythonKeywords) {
    if (name == k) return Status::InvalidArgument("name '" + name + "' is a Python keyword");
  }
  return Status::OK();
}

Status SpecParametersError(const json& p) {
  if (!p.is_object() || p.value("type", "") != "object") {
    return Status::InvalidArgument("parameters must be a JSON schema of type \"object\"");
  }
  const json props = p.value("properties", json::object());
  if (!props.is_object()) return Status::InvalidArgument("parameters.properties must be an object");
  for (const auto& [key, prop] : props.items()) {
    if (!prop.is_object() || !prop.contains("type") || !prop["type"].is_string() ||
        JsonTypes().count(prop["type"].get<std::string>()) == 0) {
      return Status::InvalidArgument("parameters.properties." + key +
                                     " needs a \"type\": string, number, integer, boolean, array, object or null");
    }
    if (Status s = SpecNameError(key); !s.ok()) {
      return Status::InvalidArgument("parameters.properties." + key + ": the argument's " + s.message());
    }
  }
  const json required = p.value("required", json::array());
  if (!required.is_array()) return Status::InvalidArgument("parameters.required must be a list of property names");
  for (const auto& r : required) {
    if (!r.is_string() || !props.contains(r.get<std::string>())) {
      return Status::InvalidArgument("parameters.required names " + r.dump() + ", which is not a property");
    }
  }
  return Status::OK();
}

bool HasType(const json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return v.is_null();
}

// The outermost {...} of a model's reply.
Result<json> SpecOutermostObject(const std::string& content) {
  const auto open = content.find('{');
  const auto close = content.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return Status::InvalidArgument("the reply has no JSON object");
  }
  try {
    return json::parse(content.substr(open, close - open + 1));
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("the reply's JSON does not parse: ") + e.what());
  }
}

}  // namespace

json ToolSpec::ToJson() const {
  json tests_json = json::array();
  for (const auto& t : tests) tests_json.push_back({{"arguments", t.arguments}, {"expected", t.expected}});
  return {{"name", name}, {"description", description}, {"parameters", parameters}, {"code", code}, {"tests", tests_json}};
}

std::string ToolSpec::ContentHash() const { return Sha256Hex(ToJson().dump()); }

json ToolSpec::ChatTool() const {
  return {{"type", "function"}, {"function", {{"name", name}, {"description", description}, {"parameters", parameters}}}};
}

Result<ToolSpec> ParseToolSpec(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a tool is a JSON object");
  ToolSpec spec;
  for (const char* key : {"name", "description", "code"}) {
    if (!j.contains(key) || !j[key].is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
  }
  spec.name = j["name"].get<std::string>();
  if (Status s = SpecNameError(spec.name); !s.ok()) return s;
  spec.description = j["description"].get<std::string>();
  if (spec.description.empty()) return Status::InvalidArgument("description is empty: the model chooses tools by it");
  spec.parameters = j.value("parameters", json());
  if (Status s = SpecParametersError(spec.parameters); !s.ok()) return s;
  spec.code = j["code"].get<std::string>();
  if (spec.code.size() > kMaxToolCodeBytes) {
    return Status::InvalidArgument("code has " + std::to_string(spec.code.size()) + " bytes, more than " +
                                   std::to_string(kMaxToolCodeBytes));
  }
  static const std::regex def_line(R"((^|\n)def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\()");
  bool defined = false;
  for (auto it = std::sregex_iterator(spec.code.begin(), spec.code.end(), def_line); it != std::sregex_iterator(); ++it) {
    defined = defined || (*it)[2].str() == spec.name;
  }
  if (!defined) return Status::InvalidArgument("code does not define the function " + spec.name + "(...) at top level");
  if (!j.contains("tests") || !j["tests"].is_array() || j["tests"].empty()) {
    return Status::InvalidArgument("tests must be a non-empty list: a tool is accepted only by passing them");
  }
  if (j["tests"].size() > kMaxToolTests) {
    return Status::InvalidArgument("tests has " + std::to_string(j["tests"].size()) + " cases, more than " +
                                   std::to_string(kMaxToolTests));
  }
  for (size_t i = 0; i < j["tests"].size(); ++i) {
    const json& t = j["tests"][i];
    const std::string where = "tests[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("arguments") || !t.contains("expected")) {
      return Status::InvalidArgument(where + " needs \"arguments\" and \"expected\"");
    }
    ToolTest test{t["arguments"], t["expected"]};
    spec.tests.push_back(std::move(test));
    if (Status s = CheckArguments(spec, spec.tests.back().arguments); !s.ok()) {
      return Status::InvalidArgument(where + ".arguments: " + s.message());
    }
  }
  return spec;
}

Result<ToolSpec> ParseToolReply(const std::string& content) {
  auto j = SpecOutermostObject(content);
  if (!j.ok()) return j.status();
  if (j->contains("error") && !j->contains("code")) {
    const json& e = (*j)["error"];
    return Status::FailedPrecondition("the model wrote no tool: " + (e.is_string() ? e.get<std::string>() : e.dump()));
  }
  return ParseToolSpec(*j);
}

Status CheckArguments(const ToolSpec& spec, const json& arguments) {
  if (!arguments.is_object()) return Status::InvalidArgument("arguments must be a JSON object, got " + arguments.dump());
  const json props = spec.parameters.value("properties", json::object());
  for (const auto& r : spec.parameters.value("required", json::array())) {
    if (!arguments.contains(r.get<std::string>())) {
      return Status::InvalidArgument("the required argument '" + r.get<std::string>() + "' is missing");
    }
  }
  for (const auto& [key, value] : arguments.items()) {
    if (!props.contains(key)) return Status::InvalidArgument("'" + key + "' is not an argument of " + spec.name);
    const std::string type = props[key].value("type", "");
    if (!HasType(value, type)) {
      return Status::InvalidArgument("argument '" + key + "' must be of type " + type + ", got " + value.dump());
    }
  }
  return Status::OK();
}

}  // namespace kaizen::tools
