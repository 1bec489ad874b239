#include "agents/models/llm/prompt_config.h"

#include <algorithm>
#include <map>
#include <set>

#include "agents/models/jsonl_dataset.h"

namespace kaizen::models::llm {

using json = nlohmann::json;

Result<PromptModel> PromptFromManifest(const json& entry, const json& data, const std::string& where) {
  PromptModel m;
  const json openai = entry.value("openai", json::object());
  m.base_model = openai.value("model", "");
  const json prompt = entry.value("prompt", json::object());
  try {
    auto task = ParseTaskKind(prompt.value("task", "label"));
    if (!task.ok()) return task.status().WithContext(where + ".prompt.task");
    m.task = *task;
    m.system_prompt = prompt.value("system_prompt", "");
    m.labels = prompt.value("labels", std::vector<std::string>{});
    for (const auto& e : prompt.value("examples", json::array())) {
      m.examples.push_back({e.at("input").get<std::string>(), e.at("output").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(where + ".prompt: " + e.what());
  }
  const int shots = prompt.value("shots", 0);
  const bool want_labels = m.task == TaskKind::kLabel && m.labels.empty();
  if (entry.contains("train") && (want_labels || shots > 0)) {
    const json& train = entry["train"];
    const std::string dataset = train.value("dataset", "");
    if (!data.contains(dataset)) return Status::InvalidArgument(where + ".train.dataset '" + dataset + "' is not in spec.data");
    auto rows = LoadJsonlExamples(data[dataset].value("path", ""), train.value("split", "train"),
                                  train.value("domains", std::vector<std::string>{}));
    if (!rows.ok()) return rows.status().WithContext(where + ".train");
    std::vector<std::string> order;
    std::map<std::string, std::vector<const Example*>> by_label;
    for (const auto& e : rows->examples) {
      auto& list = by_label[e.label];
      if (list.empty()) order.push_back(e.label);
      list.push_back(&e);
    }
    if (want_labels) m.labels = order;
    std::set<std::string> shown;
    for (const auto& e : m.examples) shown.insert(e.text);
    int added = 0;
    for (std::size_t round = 0; added < shots; ++round) {
      bool any = false;
      for (const auto& label : order) {
        const auto& list = by_label[label];
        if (round >= list.size() || added >= shots) continue;
        any = true;
        if (!shown.insert(list[round]->text).second) continue;
        m.examples.push_back(*list[round]);
        ++added;
      }
      if (!any) break;
    }
  }
  if (m.task == TaskKind::kLabel) {
    for (const auto& e : m.examples) {
      if (std::find(m.labels.begin(), m.labels.end(), e.label) == m.labels.end()) m.labels.push_back(e.label);
    }
  }
  m.origin = "initial prompt from " + where;
  return m;
}

}  // namespace kaizen::models::llm
