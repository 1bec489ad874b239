// HumanLabelBatch: the label requests one data request puts to people
// (strategy human_demonstrations), and the answers that come back. Pure: the
// datagen agent sends the requests and feeds answers in; the rows it gets out
// carry who labeled them (teacher "human:<person id>").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agents/datagen/candidate_selector.h"
#include "agents/datagen/dataset_writer.h"
#include "cycle.pb.h"

namespace kaizen::agents {

inline constexpr const char* kHumanStrategy = "human_demonstrations";

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
