#include "agents/datagen/carried_labels.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "agents/datagen/candidate_selector.h"

namespace kaizen::agents {

Result<std::vector<DatasetRow>> ReadDatasetJsonl(const std::string& path, std::size_t* skipped) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read dataset " + path);
  std::vector<DatasetRow> rows;
  std::size_t bad = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string() || !j.contains("label") ||
        !j["label"].is_string()) {
      ++bad;
      continue;
    }
    DatasetRow r;
    r.text = j["text"].get<std::string>();
    r.label = j["label"].get<std::string>();
    r.split = j.value("split", std::string("train"));
    if (r.split != "train" && r.split != "validation") {
      ++bad;
      continue;
    }
    r.task_id = j.value("task_id", std::string());
    if (j.contains("tags") && j["tags"].is_object()) {
      for (const auto& [k, v] : j["tags"].items()) {
        if (v.is_string()) r.tags[k] = v.get<std::string>();
      }
    }
    r.teacher = j.value("teacher", std::string());
    r.selected_by = j.value("selected_by", std::string());
    if (j.contains("worker_answer") && j["worker_answer"].is_string()) r.worker_answer = j["worker_answer"].get<std::string>();
    rows.push_back(std::move(r));
  }
  if (in.bad()) return Status::IOError("reading dataset " + path + " failed");
  if (skipped) *skipped = bad;
  return rows;
}

std::unordered_set<std::string> LabelledInputs(const std::vector<DatasetRow>& rows) {
  std::unordered_set<std::string> seen;
  for (const auto& r : rows) seen.insert(NormalizeText(r.text));
  return seen;
}

std::size_t AppendCarried(std::vector<DatasetRow>& rows, std::vector<DatasetRow> carried) {
  std::unordered_set<std::string> seen = LabelledInputs(rows);
  std::size_t added = 0;
  for (auto& r : carried) {
    if (!seen.insert(NormalizeText(r.text)).second) continue;  // the new label wins
    r.selected_by = "carried";
    r.split = "train";
    rows.push_back(std::move(r));
    ++added;
  }
  return added;
}

}  // namespace kaizen::agents
