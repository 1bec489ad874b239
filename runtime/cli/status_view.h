// What `kaizen status` shows, as JSON and as text, shared by the one-shot
// command and `status --watch` so that both say the same thing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "status.pb.h"

namespace kaizen::cli {

// The runtime's answer as the JSON `status -o json` prints.
nlohmann::json StatusToJson(const v1::StatusReply& reply);
// Last known agent states from the store, for a cluster that is down.
nlohmann::json StoredStatus(const std::string& state_dir);

struct StatusTextOptions {
  // 0: the full table, lines as long as they need. >0: a compact table and
  // every line clipped to this many columns (for a terminal, e.g. 80).
  int width = 0;
};
// The human text, lines ending in '\n': the cluster, one row per agent
// (state, model version, detail), bus counters, traffic split and task
// counts, and the current cycle: its stage in the pipeline with a progress
// bar, versions, teacher calls and spend.
std::string StatusText(const nlohmann::json& status, const StatusTextOptions& options = {});

// Clips a UTF-8 line to `columns` code points (a multi-byte character is never cut).
std::string ClipColumns(const std::string& line, int columns);

}  // namespace kaizen::cli
