#include "tests/support/openai_test_server/rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "tests/support/openai_test_server/rule_text.h"
#include "tests/support/openai_test_server/tool_rules.h"

namespace kaizen::testing {
namespace {

using json = nlohmann::json;

const std::set<std::string>& StopWords() {
  static const std::set<std::string> kStop = {
      "the", "a",   "an",  "and", "or",   "to",   "of",   "in",   "on",   "for",  "is",   "are",  "be",   "it",
      "my",  "me",  "you", "your", "i",   "we",   "do",   "does", "can",  "could", "would", "will", "what", "how",
      "this", "that", "with", "at", "by", "from", "as",  "was",  "please", "want", "need", "tell", "about", "there",
      "have", "has", "am",  "if",  "so",  "up",   "get",  "like", "is",   "im",   "its",  "let",  "know"};
  return kStop;
}

// Shared with tool_rules.cc.
using text::Cosine;
using text::Lines;
using text::Lower;
using text::Trim;
using text::Words;

std::string ContentOf(const json& m) {
  const auto& c = m.contains("content") ? m["content"] : json();
  return c.is_string() ? c.get<std::string>() : "";
}

// The label in an assistant example: {"label": x} or the bare text.
std::string ExampleLabel(const std::string& content) {
  auto open = content.find('{');
  if (open != std::string::npos) {
    try {
      auto j = json::parse(content.substr(open, content.rfind('}') - open + 1));
      if (j.is_object() && j.contains("label") && j["label"].is_string()) return j["label"].get<std::string>();
    } catch (const json::exception&) {
    }
  }
  return Trim(content);
}

struct Parsed {
  std::string system;
  std::vector<std::pair<std::string, std::string>> shots;  // user, assistant
  std::string input;                                       // the last user message
};

Parsed Parse(const json& messages) {
  Parsed p;
  std::string pending_user;
  bool have_user = false;
  for (const auto& m : messages) {
    std::string role = m.value("role", "");
    std::string content = ContentOf(m);
    if (role == "system") {
      p.system += (p.system.empty() ? "" : "\n") + content;
    } else if (role == "user") {
      if (have_user) p.input = pending_user;  // a user turn with no answer: keep the latest
      pending_user = content;
      have_user = true;
    } else if (role == "assistant" && have_user) {
      p.shots.emplace_back(pending_user, content);
      have_user = false;
    }
  }
  p.input = have_user ? pending_user : "";
  return p;
}

std::string CanonLabel(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c == ' ' || c == '-') ? '_' : static_cast<char>(std::tolower(c));
  return out;
}

RuleReply Classify(const Parsed& p, const std::vector<std::string>& listed, const Knowledge* knowledge) {
  // Candidate labels: the listed set; without one, the labels the examples and knowledge show.
  std::vector<std::string> labels = listed;
  if (labels.empty()) {
    for (const auto& [u, a] : p.shots) {
      std::string l = ExampleLabel(a);
      if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
    }
    if (knowledge) {
      for (const auto& l : knowledge->labels) {
        if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
      }
    }
  }
  std::map<std::string, std::size_t> index;  // canonical label -> position
  for (std::size_t i = 0; i < labels.size(); ++i) index.emplace(CanonLabel(labels[i]), i);
  std::vector<double> score(labels.size(), 0.0);
  const auto input = ContentWords(p.input);
  auto consider = [&](const std::string& label, const std::set<std::string>& words) {
    auto it = index.find(CanonLabel(label));
    if (it != index.end()) score[it->second] = std::max(score[it->second], Cosine(input, words));
  };
  // 1. The label's own name: "transfer_money" -> {transfer, money}.
  for (const auto& l : labels) {
    std::string spaced = l;
    std::replace(spaced.begin(), spaced.end(), '_', ' ');
    consider(l, ContentWords(spaced));
  }
  // 2. Instruction lines "<label>: keywords" or "- <label>: keywords".
  for (std::string line : Lines(p.system)) {
    line = Trim(line);
    if (line.rfind("- ", 0) == 0 || line.rfind("* ", 0) == 0) line = Trim(line.substr(2));
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    std::string head = Trim(line.substr(0, colon));
    if (head == "Labels" || head == "Answer with JSON") continue;
    consider(head, ContentWords(line.substr(colon + 1)));
  }
  // (e) Lessons "When the input mentions w1, w2, the answer is LABEL." (a critic's), like keyword lines.
  for (const auto& line : Lines(p.system)) {
    if (auto lesson = ParseLessonLine(line)) consider(lesson->label, ContentWords(lesson->words));
  }
  // 3. Few-shot examples.
  for (const auto& [u, a] : p.shots) consider(ExampleLabel(a), ContentWords(u));
  // 4. What the model knows.
  if (knowledge) {
    for (const auto& [words, label] : knowledge->examples) consider(label, words);
  }
  std::string answer = labels.empty() ? "unknown" : labels[0];
  double best = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (score[i] > best) best = score[i], answer = labels[i];
  }
  bool json_out = Lower(p.system).find("json") != std::string::npos;
  return {json_out ? json{{"label", answer}}.dump() : answer, "classify"};
}

// Rewrite: '- "TEXT" -> LABEL' lines; the instructions between <<< and >>>.
RuleReply Rewrite(const std::string& request) {
  std::string current;
  auto open = request.find("<<<"), close = request.find(">>>");
  if (open != std::string::npos && close != std::string::npos && close > open) {
    current = Trim(request.substr(open + 3, close - open - 3));
  }
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> words;
  for (const auto& raw : Lines(request)) {
    std::string line = Trim(raw);
    if (line.rfind("- \"", 0) != 0) continue;
    auto end_quote = line.find("\" -> ");
    if (end_quote == std::string::npos) continue;
    std::string text = line.substr(3, end_quote - 3);
    std::string rest = line.substr(end_quote + 5);
    std::string label = Trim(rest.substr(0, rest.find(' ')));
    if (label.empty()) continue;
    if (!words.count(label)) order.push_back(label);
    auto& list = words[label];
    for (const auto& w : ContentWordList(text)) {
      if (list.size() < 12 && std::find(list.begin(), list.end(), w) == list.end()) list.push_back(w);
    }
  }
  std::string out = current;
  for (const auto& label : order) {
    out += (out.empty() ? "" : "\n") + label + ":";
    for (const auto& w : words[label]) out += " " + w;
  }
  return {out, "rewrite"};
}

// Constitution judge: the "Requirement:" section says what the "Answer:" must
// do (agents/evaluation/constitution_judge.cc writes it). A refusal
// requirement passes when the answer has a refusal word; "... mention, in any
// wording: X" passes when the answer has all of X's content words (X itself,
// case-insensitive, when X has none), or, after "must not", when it has not.
RuleReply ConstitutionJudge(const std::string& request) {
  auto section = [&](const std::string& head) -> std::string {
    auto at = request.find(head + ":");
    if (at == std::string::npos) return "";
    auto from = at + head.size() + 1;
    std::size_t to = request.size();
    for (const char* next : {"\nRequirement:", "\nInput:", "\nAnswer:"}) {
      auto n = request.find(next, from);
      if (n != std::string::npos) to = std::min(to, n);
    }
    return Trim(request.substr(from, to - from));
  };
  const std::string requirement = Lower(section("Requirement")), answer = section("Answer");
  const auto said = ContentWords(answer);
  bool pass = false;
  const std::string head = requirement.substr(0, requirement.find(':'));  // X may say anything
  if (head.find("refuse") != std::string::npos) {
    const std::string a = Lower(answer);
    for (const char* w : {"cannot", "can't", "sorry", "unable", "won't"}) pass = pass || a.find(w) != std::string::npos;
  } else {
    const auto colon = requirement.find(':');
    const std::string x = colon == std::string::npos ? "" : Trim(requirement.substr(colon + 1));
    const auto words = ContentWords(x);
    bool mentioned = !x.empty();
    if (words.empty()) {
      mentioned = mentioned && Lower(answer).find(x) != std::string::npos;
    } else {
      for (const auto& w : words) mentioned = mentioned && said.count(w) > 0;
    }
    pass = head.find("must not") != std::string::npos ? !mentioned : mentioned;
  }
  return {json{{"pass", pass}}.dump(), "constitution-judge"};
}

// Judge: unigram F1 of the "Answer:" section against the "Reference:" one.
RuleReply Judge(const std::string& request) {
  auto section = [&](const std::string& head) -> std::string {
    auto at = request.find(head + ":");
    if (at == std::string::npos) return "";
    auto from = at + head.size() + 1;
    std::size_t to = request.size();
    for (const char* next : {"\nInput:", "\nReference:", "\nAnswer:"}) {
      auto n = request.find(next, from);
      if (n != std::string::npos) to = std::min(to, n);
    }
    return Trim(request.substr(from, to - from));
  };
  std::string reference = section("Reference");
  if (reference.empty()) reference = section("Input");
  const auto answer = ContentWords(section("Answer"));
  const auto ref = ContentWords(reference);
  double f1 = 0;
  if (!answer.empty() && !ref.empty()) {
    std::size_t shared = 0;
    for (const auto& w : answer) shared += ref.count(w);
    double p = static_cast<double>(shared) / answer.size(), r = static_cast<double>(shared) / ref.size();
    f1 = (p + r) > 0 ? 2 * p * r / (p + r) : 0;
  }
  f1 = std::round(f1 * 1000) / 1000;
  return {json{{"score", f1}}.dump(), "judge"};
}

// Plan: the planner's request (lines "Max teacher calls: N", "Allowed policies:
// a, b", "Categories: x 10% -> 40%; y ..."). All N calls, the first policy, the
// first three categories; with a line "Max prompt change: X", also
// "prompt_change": 1.0 (a full rewrite, more than any bound below 1).
RuleReply Plan(const std::string& request) {
  int64_t calls = 0;
  bool prompt_bounded = false;
  std::string policy;
  json focus = json::array();
  for (const auto& raw : Lines(request)) {
    const std::string line = Trim(raw);
    if (line.rfind("Max teacher calls:", 0) == 0) calls = std::atoll(line.c_str() + 18);
    if (line.rfind("Max prompt change:", 0) == 0) prompt_bounded = true;
    if (line.rfind("Allowed policies:", 0) == 0) {
      std::stringstream in(line.substr(17));
      std::getline(in, policy, ',');
      policy = Trim(policy);
    }
    if (line.rfind("Categories:", 0) == 0) {
      std::stringstream in(line.substr(11));
      for (std::string c; std::getline(in, c, ';') && focus.size() < 3;) {
        c = Trim(c);
        auto space = c.find(' ');
        if (space != std::string::npos && c.find('=') < space) focus.push_back(c.substr(0, space));
      }
    }
  }
  json reply = {{"teacher_calls", calls},
                {"selection_policy", policy},
                {"focus", focus},
                {"rationale", "the test server's plan: all " + std::to_string(calls) + " calls, " + policy}};
  // A bounded prompt change: always ask for a full rewrite, so tests see the bound refuse it.
  if (prompt_bounded) reply["prompt_change"] = 1.0;
  return {reply.dump(), "plan"};
}

// Free text: the answer of the example whose input shares most content words
// with this one (cosine; the first on ties), so few-shot replies teach it; with
// no such example, the input's first K words: K from the examples' mean answer
// length, else "at most N words" in the system prompt, else 30.
RuleReply Text(const Parsed& p) {
  const auto input = ContentWords(p.input);
  double best = 0;
  const std::string* reply = nullptr;
  for (const auto& [u, a] : p.shots) {
    const double sim = Cosine(input, ContentWords(u));
    if (sim > best) best = sim, reply = &a;
  }
  if (reply) return {*reply, "text"};
  std::size_t k = 30;
  if (!p.shots.empty()) {
    double total = 0;
    for (const auto& [u, a] : p.shots) total += Words(a).size();
    k = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(total / p.shots.size())));
  } else {
    auto at = Lower(p.system).find("at most ");
    if (at != std::string::npos) {
      int n = std::atoi(p.system.c_str() + at + 8);
      if (n > 0) k = static_cast<std::size_t>(n);
    }
  }
  auto words = Words(p.input);
  std::string out;
  for (std::size_t i = 0; i < words.size() && i < k; ++i) out += (i ? " " : "") + words[i];
  return {out, "text"};
}

}  // namespace

std::vector<std::string> ContentWordList(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  auto flush = [&] {
    if (w.size() >= 2 && !StopWords().count(w)) out.push_back(w);
    w.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c)) w += static_cast<char>(std::tolower(c));
    else if (c != '\'') flush();
  }
  flush();
  return out;
}

std::set<std::string> ContentWords(const std::string& text) {
  auto list = ContentWordList(text);
  return {list.begin(), list.end()};
}

Knowledge Knowledge::From(const std::vector<models::Example>& examples) {
  Knowledge k;
  std::set<std::string> seen;
  for (const auto& e : examples) {
    k.examples.emplace_back(ContentWords(e.text), e.label);
    if (seen.insert(e.label).second) k.labels.push_back(e.label);
  }
  return k;
}

namespace {

// Rules for agent strategies (tool_rules.cc), ahead of the others: a tool's
// result, a critic, a tool writer, a call of one of the request's tools.
std::optional<RuleReply> AgentRule(const json& request, const Parsed& p, const nlohmann::ordered_json* tools) {
  const json messages = request.value("messages", json::array());
  const std::string model = request.value("model", "");
  if (auto r = ToolResult(messages)) return r;
  if (auto r = Critic(p.system, p.input, model)) return r;
  if (auto r = ToolWriter(p.system, p.input, model)) return r;
  if (tools) return ToolCall(request, *tools, p.input);
  if (request.contains("tools")) return ToolCall(request, nlohmann::ordered_json(request["tools"]), p.input);
  return std::nullopt;
}

}  // namespace

RuleReply Answer(const json& request, const Knowledge* knowledge, const nlohmann::ordered_json* tools) {
  const json messages = request.value("messages", json::array());
  Parsed p = Parse(messages);
  if (auto r = AgentRule(request, p, tools)) return *r;
  // Which rule: a constitution judge, a judge, a rewrite request, a plan, a classification, or free text.
  if (Lower(p.system).find("judge") != std::string::npos && p.input.find("Requirement:") != std::string::npos) {
    return ConstitutionJudge(p.input);
  }
  if (Lower(p.system).find("judge") != std::string::npos && p.input.find("Answer:") != std::string::npos) {
    return Judge(p.input);
  }
  if (p.input.find("<<<") != std::string::npos && p.input.find("\" -> ") != std::string::npos) return Rewrite(p.input);
  if (p.input.find("\nMax teacher calls:") != std::string::npos &&
      p.input.find("\nAllowed policies:") != std::string::npos) {
    return Plan(p.input);
  }
  std::vector<std::string> listed;
  bool classify = false;
  for (const auto& raw : Lines(p.system)) {
    std::string line = Trim(raw);
    if (line.rfind("Labels:", 0) != 0) continue;
    classify = true;
    std::stringstream in(line.substr(7));
    for (std::string l; std::getline(in, l, ',');) {
      l = Trim(l);
      if (!l.empty()) listed.push_back(l);
    }
  }
  if (!classify && !p.shots.empty()) {
    // Examples answered {"label": ...}: a classification without a listed label set.
    classify = p.shots.front().second.find("\"label\"") != std::string::npos;
  }
  if (!classify && knowledge && !knowledge->examples.empty()) classify = true;
  if (classify) return Classify(p, listed, knowledge);
  return Text(p);
}

int64_t PromptTokens(const json& messages) {
  int64_t n = 0;
  for (const auto& m : messages) n += 3 + static_cast<int64_t>(Words(ContentOf(m)).size());
  return n;
}

int64_t CompletionTokens(const std::string& content) {
  return std::max<int64_t>(1, static_cast<int64_t>(Words(content).size()));
}

int64_t CompletionTokens(const RuleReply& reply) {
  if (reply.tool_calls.empty()) return CompletionTokens(reply.content);
  int64_t n = 0;
  for (const auto& call : reply.tool_calls) {
    n += static_cast<int64_t>(Words(call["function"].value("arguments", "")).size());
  }
  return std::max<int64_t>(1, n);
}

}  // namespace kaizen::testing
