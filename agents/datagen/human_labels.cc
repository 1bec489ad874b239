#include "agents/datagen/human_labels.h"

#include <algorithm>

#include "runtime/base/text.h"

namespace kaizen::agents {

std::optional<std::string> CorrectionAsLabel(const std::string& correction, const std::vector<std::string>& labels) {
  std::string c = Trim(correction);
  if (c.empty()) return std::nullopt;
  if (labels.empty()) return c;
  if (std::find(labels.begin(), labels.end(), c) != labels.end()) return c;
  const std::string key = NormalizeText(c);
  for (const auto& l : labels) {
    if (NormalizeText(l) == key) return l;
  }
  if (c.size() > kMaxLabelBytes || c.find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return c;
}

std::size_t FitCorrectionsToLabels(std::vector<Candidate>& candidates, const std::vector<std::string>& labels) {
  std::size_t dropped = 0;
  for (auto& c : candidates) {
    if (c.correction.empty()) continue;
    auto label = CorrectionAsLabel(c.correction, labels);
    if (label) {
      c.correction = std::move(*label);
      continue;
    }
    c.correction.clear();
    c.correction_source.clear();
    c.correction_seq = 0;
    ++dropped;
  }
  return dropped;
}

HumanLabelBatch::HumanLabelBatch(const std::string& id_prefix, const std::vector<SelectedCandidate>& rows,
                                 int64_t expires_ms)
    : rows_(rows) {
  const int total = static_cast<int>(rows.size());
  for (int i = 0; i < total; ++i) {
    const Candidate& c = rows[static_cast<std::size_t>(i)].candidate;
    v1::LabelRequest r;
    r.set_request_id(id_prefix + "-" + std::to_string(i + 1));
    r.set_input(c.text);
    r.set_model_output(c.predicted);
    r.set_model_confidence(c.confidence);
    for (const auto& [k, v] : c.tags) (*r.mutable_tags())[k] = v;
    r.set_task_id(c.task_id);
    r.set_index(i + 1);
    r.set_total(total);
    r.set_expires_ms(expires_ms);
    r.set_selected_by(rows[static_cast<std::size_t>(i)].selected_by);
    index_[r.request_id()] = static_cast<std::size_t>(i);
    requests_.push_back(std::move(r));
  }
}

bool HumanLabelBatch::Answer(const v1::LabelAnswer& answer) {
  auto it = index_.find(answer.request_id());
  if (it == index_.end() || answers_.count(it->second)) return false;
  std::string label = Trim(answer.label());
  if (label.empty() || label.size() > kMaxLabelBytes) return false;
  answers_[it->second] = Given{std::move(label), answer.answered_by()};
  return true;
}

std::vector<DatasetRow> HumanLabelBatch::Rows() const {
  std::vector<DatasetRow> out;
  for (const auto& [i, given] : answers_) {
    const SelectedCandidate& s = rows_[i];
    DatasetRow r;
    r.text = s.candidate.text;
    r.label = given.label;
    r.task_id = s.candidate.task_id;
    r.tags = s.candidate.tags;
    r.teacher = "human:" + given.person;
    r.selected_by = s.selected_by;
    r.worker_answer = s.candidate.predicted;
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, int64_t> HumanLabelBatch::ByPerson() const {
  std::map<std::string, int64_t> out;
  for (const auto& [i, given] : answers_) ++out[given.person];
  return out;
}

}  // namespace kaizen::agents
