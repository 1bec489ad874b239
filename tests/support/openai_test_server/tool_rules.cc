#include "tests/support/openai_test_server/tool_rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>

#include "tests/support/openai_test_server/rule_text.h"
#include "tests/support/openai_test_server/tool_code.h"

namespace kaizen::testing {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using text::Lines;
using text::Lower;
using text::Trim;

// One line of a "Failures:" section: '- [TASK_ID] "TEXT" -> EXPECTED (it answered X)'.
struct Failure {
  std::string task;  // "" without a [TASK_ID]
  std::string text;
  std::string expected;
};

// Reads one failure line (already trimmed, "- " included); false when it is not one.
bool ParseFailureLine(const std::string& line, Failure& f) {
  if (line.rfind("- ", 0) != 0) return false;
  std::string rest = Trim(line.substr(2));
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) return false;
    f.task = Trim(rest.substr(1, close - 1));
    rest = Trim(rest.substr(close + 1));
  }
  if (rest.empty() || rest[0] != '"') return false;
  const auto arrow = rest.find("\" -> ", 1);
  if (arrow == std::string::npos) return false;
  f.text = rest.substr(1, arrow - 1);
  std::string expected = rest.substr(arrow + 5);
  const auto answered = expected.rfind(" (it answered ");
  if (answered != std::string::npos && expected.back() == ')') expected.resize(answered);
  f.expected = Trim(expected);
  return !f.expected.empty();
}

// The failure lines after the input's "Failures:" line.
std::vector<Failure> ParseFailures(const std::string& input) {
  std::vector<Failure> out;
  bool in_failures = false;
  for (const auto& raw : Lines(input)) {
    const std::string line = Trim(raw);
    if (line.rfind("Failures:", 0) == 0) {
      in_failures = true;
      continue;
    }
    Failure f;
    if (in_failures && ParseFailureLine(line, f)) out.push_back(std::move(f));
  }
  return out;
}

// Distinct content words of `texts`, in first-seen order, at most `limit`.
// `skip_numbers`: words of digits only are left out (a tool is described by
// what it does, not by the numbers in the questions it was written from).
std::vector<std::string> DistinctWords(const std::vector<std::string>& texts, std::size_t limit,
                                       bool skip_numbers = false) {
  std::vector<std::string> out;
  for (const auto& t : texts) {
    for (const auto& w : ContentWordList(t)) {
      if (skip_numbers && std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); })) continue;
      if (out.size() < limit && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

bool Sloppy(const std::string& model) { return Lower(model).find("sloppy") != std::string::npos; }

// A JSON number for `s` when all of it is a finite decimal number ("42", "-3.5", "1e3").
std::optional<json> NumberJson(const std::string& s) {
  const std::string t = Trim(s);
  if (t.empty() || t.find_first_not_of("0123456789.eE+-") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
  if (v == std::floor(v) && std::fabs(v) < 1e15) return json(static_cast<int64_t>(v));
  return json(v);
}

// The text of a message's content: a string, or the "text" of its parts.
std::string MessageText(const json& m) {
  if (!m.contains("content")) return "";
  const auto& c = m["content"];
  if (c.is_string()) return c.get<std::string>();
  std::string out;
  if (c.is_array()) {
    for (const auto& part : c) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) out += part["text"].get<std::string>();
    }
  }
  return out;
}

// A tool the writer can write: its name, source and two questions of its own with their answers.
struct WrittenTool {
  std::string name;
  std::string code;
  std::vector<std::pair<std::string, json>> own_tests;
};

WrittenTool ToolFor(bool units, bool sloppy) {
  if (units) {
    return {"convert_units", ConvertUnitsCode("convert_units", sloppy),
            {{"Convert 10 km to miles", 6.21371}, {"What is 100 degrees celsius in fahrenheit?", 212}}};
  }
  return {"calculate", CalculateCode("calculate", sloppy),
          {{"What is 12 plus 30?", 42}, {"What is 7 times 6 minus 4?", 38}}};
}

// The "type" of a JSON schema: a string, or the first non-"null" of a list.
std::string SchemaType(const ordered_json& schema) {
  if (!schema.is_object() || !schema.contains("type")) return "";
  const auto& t = schema["type"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array()) {
    for (const auto& e : t) {
      if (e.is_string() && e != "null") return e.get<std::string>();
    }
  }
  return "";
}

// Arguments for `function` from the input: each string property gets the input
// text, each number/integer property the next number in the input, in order.
std::string BuildArguments(const ordered_json& function, const std::string& input) {
  static const std::regex kNumber("-?[0-9]+(\\.[0-9]+)?");
  std::vector<std::string> numbers;
  for (std::sregex_iterator it(input.begin(), input.end(), kNumber), end; it != end; ++it) numbers.push_back(it->str());
  std::size_t next = 0;
  ordered_json args = ordered_json::object();
  const ordered_json params = function.contains("parameters") ? function["parameters"] : ordered_json::object();
  if (!params.is_object() || !params.contains("properties") || !params["properties"].is_object()) return args.dump();
  for (const auto& [key, schema] : params["properties"].items()) {
    const std::string type = SchemaType(schema);
    if (type == "string") {
      args[key] = input;
    } else if ((type == "number" || type == "integer") && next < numbers.size()) {
      const std::string& n = numbers[next++];
      const double v = std::strtod(n.c_str(), nullptr);
      if (type == "integer") args[key] = static_cast<int64_t>(std::llround(v));
      else if (n.find('.') == std::string::npos) args[key] = static_cast<int64_t>(v);
      else args[key] = v;
    }
  }
  return args.dump();
}

// The function a tool names ({"type": "function", "function": {...}}; a bare function too).
const ordered_json* FunctionOf(const ordered_json& tool) {
  if (!tool.is_object()) return nullptr;
  const ordered_json& f = tool.contains("function") ? tool["function"] : tool;
  if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) return nullptr;
  return &f;
}

// Content words shared by the input and the tool's name (split on _ and -) and description.
std::size_t SharedWords(const ordered_json& function, const std::set<std::string>& input) {
  std::string about = function["name"].get<std::string>();
  std::replace(about.begin(), about.end(), '_', ' ');
  std::replace(about.begin(), about.end(), '-', ' ');
  if (function.contains("description") && function["description"].is_string()) {
    about += " " + function["description"].get<std::string>();
  }
  std::size_t shared = 0;
  for (const auto& w : ContentWords(about)) shared += input.count(w);
  return shared;
}

// Which tool to call: the one named by tool_choice, else the one sharing most
// words with the input (the first on ties), else with "required" the first.
const ordered_json* ChooseFunction(const json& choice, const ordered_json& tools, const std::string& input) {
  std::string forced;
  if (choice.is_object() && choice.contains("function") && choice["function"].is_object()) {
    forced = choice["function"].value("name", "");
  }
  const auto words = ContentWords(input);
  const ordered_json* best = nullptr;
  const ordered_json* first = nullptr;
  std::size_t best_shared = 0;
  for (const auto& tool : tools) {
    const ordered_json* f = FunctionOf(tool);
    if (!f) continue;
    if (!first) first = f;
    if (!forced.empty()) {
      if ((*f)["name"] == forced) return f;
      continue;
    }
    const std::size_t shared = SharedWords(*f, words);
    if (shared > best_shared) best_shared = shared, best = f;
  }
  if (!best && choice.is_string() && choice == "required") return first;
  return best;
}

// Tool calls the assistant already made in this conversation: the next id is call_<that + 1>.
std::size_t PastToolCalls(const json& messages) {
  std::size_t n = 0;
  for (const auto& m : messages) {
    if (m.is_object() && m.value("role", "") == "assistant" && m.contains("tool_calls") && m["tool_calls"].is_array()) {
      n += m["tool_calls"].size();
    }
  }
  return n;
}

}  // namespace

std::optional<RuleReply> ToolResult(const json& messages) {
  if (!messages.is_array() || messages.empty()) return std::nullopt;
  const json& last = messages.back();
  if (!last.is_object() || last.value("role", "") != "tool") return std::nullopt;
  const std::string content = MessageText(last);
  std::string answer = content;
  try {  // a JSON string: its value; a JSON number: as JSON prints it; anything else: raw
    const json j = json::parse(content);
    if (j.is_string()) answer = j.get<std::string>();
    else if (j.is_number()) answer = j.dump();
  } catch (const json::exception&) {
  }
  return RuleReply{answer, "tool-result"};
}

std::optional<RuleReply> Critic(const std::string& system, const std::string& input, const std::string& model) {
  if (Lower(system).find("critic") == std::string::npos) return std::nullopt;
  const auto failures = ParseFailures(input);
  if (failures.empty()) return std::nullopt;
  // One lesson per expected answer, in first-seen order, citing its tasks.
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> by_expected;  // texts, tasks
  for (const auto& f : failures) {
    if (!by_expected.count(f.expected)) order.push_back(f.expected);
    auto& [texts, tasks] = by_expected[f.expected];
    texts.push_back(f.text);
    if (!f.task.empty() && std::find(tasks.begin(), tasks.end(), f.task) == tasks.end()) tasks.push_back(f.task);
  }
  const bool sloppy = Sloppy(model);  // cites nothing, so callers can test that they refuse it
  json lessons = json::array();
  for (const auto& expected : order) {
    const auto& [texts, tasks] = by_expected[expected];
    const std::string lesson =
        "When the input mentions " + Join(DistinctWords(texts, 8), ", ") + ", the answer is " + expected + ".";
    lessons.push_back({{"lesson", lesson}, {"tasks", sloppy ? json::array() : json(tasks)}});
  }
  return RuleReply{json{{"lessons", lessons}}.dump(), "critic"};
}

std::optional<RuleReply> ToolWriter(const std::string& system, const std::string& input, const std::string& model) {
  const std::string sys = Lower(system);
  if (sys.find("write") == std::string::npos || sys.find("tool") == std::string::npos) return std::nullopt;
  const auto failures = ParseFailures(input);
  if (failures.empty()) return std::nullopt;
  bool units = false, arithmetic = false;
  std::vector<std::string> texts;
  for (const auto& f : failures) {
    units = units || MentionsUnitQuantity(f.text);
    arithmetic = arithmetic || MentionsArithmetic(f.text);
    texts.push_back(f.text);
  }
  if (!units && !arithmetic) return RuleReply{json{{"error", "no tool fits these failures"}}.dump(), "tool-writer"};
  const WrittenTool tool = ToolFor(units, Sloppy(model));  // sloppy: a bug; the tests keep the right answers
  ordered_json tests = ordered_json::array();
  for (const auto& f : failures) {
    if (auto expected = NumberJson(f.expected)) {
      tests.push_back({{"arguments", {{"question", f.text}}}, {"expected", *expected}});
    }
  }
  for (const auto& [question, expected] : tool.own_tests) {
    tests.push_back({{"arguments", {{"question", question}}}, {"expected", expected}});
  }
  ordered_json reply = {
      {"name", tool.name},
      {"description", "Answers questions like: " + Join(DistinctWords(texts, 12, /*skip_numbers=*/true), " ")},
      {"parameters",
       {{"type", "object"},
        {"properties", {{"question", {{"type", "string"}, {"description", "the question as asked"}}}}},
        {"required", {"question"}}}},
      {"code", tool.code},
      {"tests", tests}};
  return RuleReply{reply.dump(), "tool-writer"};
}

std::optional<RuleReply> ToolCall(const json& request, const ordered_json& tools, const std::string& input) {
  if (!tools.is_array() || tools.empty()) return std::nullopt;
  const json choice = request.contains("tool_choice") ? request["tool_choice"] : json();
  if (choice.is_string() && choice == "none") return std::nullopt;
  const ordered_json* function = ChooseFunction(choice, tools, input);
  if (!function) return std::nullopt;  // no tool fits: the other rules answer
  const json messages = request.value("messages", json::array());
  RuleReply reply{"", "tool-call"};
  reply.tool_calls = json::array({{{"id", "call_" + std::to_string(PastToolCalls(messages) + 1)},
                                   {"type", "function"},
                                   {"function",
                                    {{"name", (*function)["name"].get<std::string>()},
                                     {"arguments", BuildArguments(*function, input)}}}}});
  return reply;
}

std::optional<LessonLine> ParseLessonLine(const std::string& line) {
  const auto mentions = line.find("mentions ");
  if (mentions == std::string::npos) return std::nullopt;
  const auto answer = line.find("the answer is ", mentions);
  if (answer == std::string::npos) return std::nullopt;
  // The label runs to a final '.' (or a closing quote, when the lesson sits in JSON).
  std::string label = line.substr(answer + 14);
  label = Trim(label.substr(0, label.find('"')));
  if (!label.empty() && label.back() == '.') label.pop_back();
  label = Trim(label);
  if (label.empty()) return std::nullopt;
  return LessonLine{label, line.substr(mentions + 9, answer - mentions - 9)};
}

}  // namespace kaizen::testing
