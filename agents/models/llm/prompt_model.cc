#include "agents/models/llm/prompt_model.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "runtime/base/atomic_file.h"
#include "agents/models/llm/json_reply.h"
#include "runtime/base/text.h"

namespace kaizen::models::llm {
namespace {

using json = nlohmann::json;
constexpr const char* kFormat = "kaizen-prompt-model";
constexpr int kFormatVersion = 3;  // 2: tools; 3: example pool and lessons

// Lower case, with spaces and hyphens as underscores: "Transfer Money" == "transfer_money".
std::string Canonical(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c == ' ' || c == '-') ? '_' : static_cast<char>(std::tolower(c));
  return out;
}

std::string LabelJson(const std::string& label) { return json{{"label", label}}.dump(); }

}  // namespace

const char* TaskKindName(TaskKind kind) { return kind == TaskKind::kLabel ? "label" : "text"; }

Result<TaskKind> ParseTaskKind(const std::string& name) {
  if (name == "label") return TaskKind::kLabel;
  if (name == "text") return TaskKind::kText;
  return Status::InvalidArgument("task kind '" + name + "' is neither label nor text");
}

json PromptModel::ToJson() const {
  json ex = json::array();
  for (const auto& e : examples) ex.push_back({{"input", e.text}, {"output", e.label}});
  const int version = (example_pool || lessons) ? 3 : tools.empty() ? 1 : 2;
  json out = {{"format", kFormat},          {"format_version", version},      {"base_model", base_model},
              {"task", TaskKindName(task)}, {"system_prompt", system_prompt}, {"labels", labels},
              {"examples", ex},             {"origin", origin}};
  if (!tools.empty()) {
    json list = json::array();
    for (const auto& t : tools) list.push_back({{"name", t.name}, {"uri", t.uri}, {"sha256", t.sha256}});
    out["tools"] = std::move(list);
    out["max_tool_rounds"] = max_tool_rounds;
  }
  if (example_pool) {
    out["example_pool"] = {{"uri", example_pool->uri},
                           {"sha256", example_pool->sha256},
                           {"k", example_pool->k},
                           {"max_per_label", example_pool->max_per_label}};
  }
  if (lessons) out["lessons"] = {{"uri", lessons->uri}, {"sha256", lessons->sha256}, {"k", lessons->k}};
  return out;
}

Result<PromptModel> PromptModel::FromJson(const json& j) {
  if (!j.is_object() || j.value("format", "") != kFormat) {
    return Status::Corruption("not a prompt model: \"format\" is not \"" + std::string(kFormat) + "\"");
  }
  PromptModel m;
  try {
    int version = j.value("format_version", 0);
    if (version < 1 || version > kFormatVersion) {
      return Status::Corruption("prompt model format_version " + std::to_string(version) + " is not supported (1.." +
                                std::to_string(kFormatVersion) + ")");
    }
    m.base_model = j.value("base_model", "");
    auto task = ParseTaskKind(j.value("task", "label"));
    if (!task.ok()) return Status::Corruption("prompt model: " + task.status().message());
    m.task = *task;
    m.system_prompt = j.value("system_prompt", "");
    m.labels = j.value("labels", std::vector<std::string>{});
    for (const auto& e : j.value("examples", json::array())) {
      m.examples.push_back({e.at("input").get<std::string>(), e.at("output").get<std::string>()});
    }
    m.origin = j.value("origin", "");
    for (const auto& t : j.value("tools", json::array())) {
      ToolRef ref{t.at("name").get<std::string>(), t.at("uri").get<std::string>(), t.at("sha256").get<std::string>()};
      if (ref.name.empty() || ref.uri.empty() || ref.sha256.empty()) {
        return Status::Corruption("prompt model: a tool needs a name, a uri and a sha256");
      }
      m.tools.push_back(std::move(ref));
    }
    m.max_tool_rounds = j.value("max_tool_rounds", m.max_tool_rounds);
    if (m.max_tool_rounds < 1 || m.max_tool_rounds > 10) {
      return Status::Corruption("prompt model: max_tool_rounds " + std::to_string(m.max_tool_rounds) +
                                " is not in 1..10");
    }
    if (j.contains("example_pool")) {
      const json& p = j.at("example_pool");
      ExamplePoolRef ref{p.at("uri").get<std::string>(), p.at("sha256").get<std::string>(), p.value("k", 8),
                         p.value("max_per_label", 0)};
      if (ref.uri.empty() || ref.sha256.empty() || ref.k < 1 || ref.k > 1000 || ref.max_per_label < 0) {
        return Status::Corruption("prompt model: example_pool needs a uri, a sha256, k in 1..1000 and "
                                  "max_per_label >= 0");
      }
      m.example_pool = std::move(ref);
    }
    if (j.contains("lessons")) {
      const json& l = j.at("lessons");
      LessonMemoryRef ref{l.at("uri").get<std::string>(), l.at("sha256").get<std::string>(), l.value("k", 4)};
      if (ref.uri.empty() || ref.sha256.empty() || ref.k < 1 || ref.k > 100) {
        return Status::Corruption("prompt model: lessons needs a uri, a sha256 and k in 1..100");
      }
      m.lessons = std::move(ref);
    }
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("prompt model: a field has the wrong type: ") + e.what());
  }
  return m;
}

Status SavePromptModel(const std::string& path, const PromptModel& model) {
  return WriteFileAtomically(path, model.ToJson().dump(2) + "\n");
}

Result<PromptModel> LoadPromptModel(const std::string& path) {
  auto text = ReadWholeFile(path, kMaxPromptModelBytes);
  if (!text.ok()) return text.status();
  json j;
  try {
    j = json::parse(*text);
  } catch (const json::exception& e) {
    return Status::Corruption(path + ": not JSON: " + e.what());
  }
  auto m = PromptModel::FromJson(j);
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

std::vector<ChatMessage> BuildMessages(const PromptModel& model, const std::string& input,
                                       const PromptContext& context) {
  std::vector<ChatMessage> out;
  std::string system = model.system_prompt;
  if (!context.lessons.empty()) {
    if (!system.empty()) system += "\n\n";
    system += "Lessons from earlier mistakes:";
    for (const auto& l : context.lessons) system += "\n- " + l;
  }
  if (model.task == TaskKind::kLabel && !model.labels.empty()) {
    if (!system.empty()) system += "\n\n";
    system += "Labels: ";
    for (std::size_t i = 0; i < model.labels.size(); ++i) system += (i ? ", " : "") + model.labels[i];
    system += "\nAnswer with JSON: {\"label\": \"<one of the labels>\"}";
  }
  if (!system.empty()) out.push_back({"system", system});
  for (const auto* shots : {&model.examples, &context.examples}) {
    for (const auto& e : *shots) {
      out.push_back({"user", e.text});
      out.push_back({"assistant", model.task == TaskKind::kLabel ? LabelJson(e.label) : e.label});
    }
  }
  out.push_back({"user", input});
  return out;
}

Result<std::string> ParseLabel(const std::string& reply, const std::vector<std::string>& labels) {
  std::string candidate;
  if (auto j = FirstJsonObject(reply); j && j->contains("label") && (*j)["label"].is_string()) {
    candidate = (*j)["label"].get<std::string>();
  } else {
    candidate = Trim(reply);
    if (candidate.rfind("```", 0) == 0) {  // a fenced bare label
      auto nl = candidate.find('\n');
      auto close = candidate.rfind("```");
      candidate = (nl != std::string::npos && close > nl) ? candidate.substr(nl + 1, close - nl - 1) : "";
    }
    auto strip = [](std::string s) {
      s = Trim(s);
      while (!s.empty() && (s.front() == '"' || s.front() == '\'' || s.front() == '`')) s.erase(s.begin());
      while (!s.empty() && (s.back() == '"' || s.back() == '\'' || s.back() == '`' || s.back() == '.')) s.pop_back();
      return Trim(s);
    };
    candidate = strip(candidate);
    for (const char* head : {"label:", "Label:", "LABEL:"}) {
      if (candidate.rfind(head, 0) == 0) candidate = strip(candidate.substr(std::string(head).size()));
    }
  }
  candidate = Trim(candidate);
  if (candidate.empty()) return Status::InvalidArgument("the model's reply holds no label: \"" + Abbreviate(reply, 200) + "\"");
  if (labels.empty()) return candidate;
  const std::string want = Canonical(candidate);
  for (const auto& l : labels) {
    if (Canonical(l) == want) return l;
  }
  return Status::InvalidArgument("the model answered \"" + Abbreviate(candidate, 200) + "\", which is not one of the " +
                                 std::to_string(labels.size()) + " labels");
}

Result<std::string> ParseText(const std::string& reply) {
  std::string t = Trim(reply);
  if (t.empty()) return Status::InvalidArgument("the model's reply is empty");
  return t;
}

Result<std::string> Answer(ChatClient& client, const PromptModel& model, const std::string& input,
                           const std::string& tag, ChatReply* reply) {
  auto r = client.Complete(BuildMessages(model, input), tag, model.base_model);
  if (!r.ok()) return r.status();
  if (reply) *reply = *r;
  return model.task == TaskKind::kLabel ? ParseLabel(r->text, model.labels) : ParseText(r->text);
}

}  // namespace kaizen::models::llm
