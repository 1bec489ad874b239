// HumanLabelBatch: the label requests one data request puts to people
// (strategy human_demonstrations), and the answers that come back. Pure: the
// datagen agent sends the requests and feeds answers in; the rows it gets out
// carry who labeled them (teacher "human:<person id>").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agents/datagen/candidate_selector.h"
#include "agents/datagen/dataset_writer.h"
#include "cycle.pb.h"

namespace kaizen::agents {

inline constexpr const char* kHumanStrategy = "human_demonstrations";
// Labels are short; a person's stray paste must not become a dataset row.
inline constexpr std::size_t kMaxLabelBytes = 200;

// A correction (a thumbs-down carrying the right answer) as the label of its
// input, given the label set the task answers from (the teacher's labels;
// empty for free text or when there is no teacher). With a label set: a
// correction that is a label but for case and spacing takes the label's
// spelling; one that is none of them is still a label when it is label-sized
// (at most kMaxLabelBytes, one line), as a person's label answer is, since
// both trainers add labels they have not seen (a drift brings new ones);
// anything else is no label (nullopt). Without a label set: as it is.
std::optional<std::string> CorrectionAsLabel(const std::string& correction, const std::vector<std::string>& labels);

// Applies CorrectionAsLabel to every candidate's correction: a usable one is
// replaced by its label, an unusable one is dropped (the candidate stays a
// thumbs-down, for the teacher). Returns how many were dropped.
std::size_t FitCorrectionsToLabels(std::vector<Candidate>& candidates, const std::vector<std::string>& labels);

class HumanLabelBatch {
 public:
  // One request per selected input, ids "<id_prefix>-<n>" (n from 1).
  HumanLabelBatch(const std::string& id_prefix, const std::vector<SelectedCandidate>& rows, int64_t expires_ms);

  const std::vector<v1::LabelRequest>& requests() const { return requests_; }
  // An answer to one of this batch's open requests: true if it was taken. A
  // repeat, an unknown id or an empty label is ignored (false).
  bool Answer(const v1::LabelAnswer& answer);

  std::size_t total() const { return requests_.size(); }
  std::size_t answered() const { return answers_.size(); }
  bool complete() const { return answers_.size() == requests_.size(); }

  // The answered inputs as dataset rows (split unset), in request order.
  std::vector<DatasetRow> Rows() const;
  // Labels given, by person.
  std::map<std::string, int64_t> ByPerson() const;

 private:
  struct Given {
    std::string label, person;
  };
  std::vector<v1::LabelRequest> requests_;
  std::vector<SelectedCandidate> rows_;
  std::map<std::string, std::size_t> index_;  // request id -> position
  std::map<std::size_t, Given> answers_;      // position -> answer
};

}  // namespace kaizen::agents
