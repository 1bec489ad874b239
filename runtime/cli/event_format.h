// How journal events look to an operator: one human line, or one JSON object.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/bus/envelope_codec.h"

namespace kaizen::cli {

// {"seq","time","ts_ms","kind",...}: for state changes "agent","role","from",
// "to","detail","pid","restarts"; for cluster events "what","detail","agent".
nlohmann::json EventToJson(const bus::Envelope& event);

// "2026-11-22T10:15:03.042Z  worker       worker      starting -> idle      pid 1234"
std::string EventToText(const bus::Envelope& event);

// The agent an event concerns ("" if none), for --agent filtering.
std::string EventAgent(const bus::Envelope& event);
// Whether an event belongs in the agent state log: state changes, cluster
// notices, cycle stages and decisions; not every task, rating or progress tick.
bool IsStateLogEvent(const bus::Envelope& event);

// How much an event asks of an operator, for `kaizen logs --level`:
// "error" (an agent failed, a cycle aborted, a restart given up), "warn"
// (restarts, lost or rolled-back work, failed evaluations, rejections and
// approvals waiting for a person), else "info".
std::string EventLevel(const bus::Envelope& event);
// 0 info, 1 warn, 2 error; -1 for a name that is none of these.
int LevelRank(const std::string& level);

// One HTTP request a gateway answered (kaizen logs --requests):
// "2026-11-22T10:15:03.042Z  gateway      POST /v1/tasks 200  1.3 ms  task kz-...  user u1  key app"
std::string RequestToText(const std::string& gateway, const v1::RequestRecord& request);
// {"time","ts_ms","kind":"http_request","agent","method","path","status","latency_ms","task_id","user","api_key","error"}
nlohmann::json RequestToJson(const std::string& gateway, const v1::RequestRecord& request);

}  // namespace kaizen::cli
