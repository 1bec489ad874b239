// DatagenAgent::HumanJob: one data request whose inputs people are labeling
// (datagen_human.cc). In a header so the agent's destructor sees it whole.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "agents/datagen/datagen_agent.h"
#include "agents/datagen/human_labels.h"

namespace kaizen::agents {

struct DatagenAgent::HumanJob {
  sdk::Envelope request;
  v1::DataRequest data;
  std::string key;
  std::string policy;
  std::map<std::string, int64_t> selected_by;
  std::size_t candidates = 0, qualifying = 0;
  std::unique_ptr<HumanLabelBatch> batch;
  int64_t started_ms = 0, deadline_ms = 0;
};

}  // namespace kaizen::agents
