#include "config/role_view.h"

#include <map>

namespace kaizen::config {
namespace {

using json = nlohmann::json;

// Why each path: the reader that needs it.
const std::map<std::string, std::vector<std::string>, std::less<>>& Table() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> table = {
      // The initial training data (skill.train names a spec.data entry); the deferral teacher.
      {"worker", {"spec.data", "spec.teachers"}},
      // The follow-up round's cost: the planner's call budget and the teacher's price.
      {"monitoring", {"spec.planning.teacher_budget", "spec.teachers"}},
      // A plan buys labels from a teacher.
      {"planning", {"spec.teachers", "spec.training.backend"}},
      // The teachers, and a builtin teacher's training data.
      {"datagen", {"spec.teachers", "spec.data"}},
      // builtin: replay of the worker's training data; prompt: the worker's and a
      // teacher's endpoints, and the judge that grades free text; slurm: the cluster
      // its batch jobs go to.
      {"training", {"spec.worker.skill", "spec.data", "spec.teachers", "spec.evaluation.judge", "spec.slurm"}},
      // An LLM candidate answers through the worker's endpoint.
      {"evaluation", {"spec.worker.skill.openai"}},
      {"deployment", {}},
      {"gateway", {}},
      // Simulated users send the dataset's inputs, through the gateway when there is one.
      {"simulator", {"spec.data", "spec.gateway"}},
  };
  return table;
}

// Copies from[path...] into to[path...], creating the objects on the way.
void CopyPath(const json& from, json& to, const std::string& dotted) {
  const json* src = &from;
  json* dst = &to;
  std::size_t start = 0;
  // The leading "spec." names the root.
  if (dotted.rfind("spec.", 0) == 0) start = 5;
  std::vector<std::string> keys;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    keys.push_back(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!src->is_object()) return;
    auto it = src->find(keys[i]);
    if (it == src->end()) return;
    src = &*it;
    if (i + 1 == keys.size()) {
      (*dst)[keys[i]] = *src;
    } else {
      if (!dst->contains(keys[i]) || !(*dst)[keys[i]].is_object()) (*dst)[keys[i]] = json::object();
      dst = &(*dst)[keys[i]];
    }
  }
}

}  // namespace

const std::vector<std::string>* SharedPathsOf(std::string_view role) {
  auto it = Table().find(role);
  return it == Table().end() ? nullptr : &it->second;
}

json SpecViewFor(std::string_view role, const json& spec) {
  json view = json::object();
  CopyPath(spec, view, "spec." + std::string(role));
  if (const auto* shared = SharedPathsOf(role)) {
    for (const auto& path : *shared) CopyPath(spec, view, path);
  }
  return view;
}

}  // namespace kaizen::config
