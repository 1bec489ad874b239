// The status text shared by `kaizen status` and `status --watch`.
#include <catch2/catch.hpp>

#include <sstream>

#include "runtime/cli/status_view.h"

using json = nlohmann::json;
using namespace kaizen::cli;

namespace {

json Running() {
  json agents = json::array();
  for (const char* id : {"worker", "datagen"}) {
    agents.push_back({{"id", id}, {"role", id}, {"state", "busy"}, {"pid", 4242}, {"restarts", 1}, {"model_version", "v1"},
                      {"detail", "labeling 1200/2000 with oracle ($1.20) and a detail long enough to pass the edge → here"}});
  }
  return {{"cluster", {{"name", "intent-router"}, {"phase", "running"}, {"running", true}, {"runtime_pid", 4000},
                       {"started_ms", 1800000000000}}},
          {"agents", agents},
          {"bus", {{"received", 10}, {"sent", 9}, {"published", 8}, {"dropped_frames", 0},
                   {"dropped", {{"malformed", 0}}}, {"rejected_keys", 0}}},
          {"router", {{"traffic", "worker-clone 90% / worker 10%"}, {"submitted", 100}, {"answered", 99},
                      {"in_flight", 1}, {"queued", 0}, {"resent", 0}}},
          {"cycle", {{"id", "c1"}, {"stage", "training"}, {"attempt", 1}, {"trigger", "performance"},
                     {"incumbent", "v1"}, {"candidate", "v2"}, {"teacher_calls", 2000}, {"teacher_cost", 2.0},
                     {"progress", 0.5}}}};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST_CASE("clipping counts code points and never cuts a UTF-8 character") {
  CHECK(ClipColumns("abcdef", 4) == "abcd");
  CHECK(ClipColumns("abc", 10) == "abc");
  CHECK(ClipColumns("a→b→c", 3) == "a→b");
  CHECK(ClipColumns("→→→", 2) == "→→");
}

TEST_CASE("the watch frame fits 80 columns and shows the cycle's stage as a progress bar with teacher spend") {
  const std::string text = StatusText(Running(), {80});
  INFO(text);
  for (const auto& l : Lines(text)) CHECK(CodePoints(l) <= 80);
  CHECK(text.find("cycle c1: v1 -> v2 (trigger performance, attempt 1)") != std::string::npos);
  // training is stage 4 of 6, half done: (3 + 0.5) / 6 = 58%.
  CHECK(text.find("[##############..........]  58%  stage 4/6 training 50%") != std::string::npos);
  CHECK(text.find("teacher: 2000 calls, $2.00") != std::string::npos);
  CHECK(text.find("traffic: worker-clone 90% / worker 10%") != std::string::npos);
  CHECK(text.find("worker         worker     busy      v1      1 labeling") != std::string::npos);
}

TEST_CASE("plain status keeps its full table and long lines") {
  const std::string text = StatusText(Running());
  CHECK(text.find("RESTARTS") != std::string::npos);
  CHECK(text.find("4242") != std::string::npos);
  CHECK(text.find("edge → here") != std::string::npos);
  CHECK(text.find("teacher 2000 calls $2.00") != std::string::npos);
  json done = Running();
  done["cycle"]["stage"] = "promoted";
  done["cycle"].erase("progress");
  done["cycle"]["outcome_reason"] = "candidate is better";
  const std::string finished = StatusText(done, {80});
  CHECK(finished.find("100%  stage 6/6 promoted") != std::string::npos);
  CHECK(finished.find("  candidate is better") != std::string::npos);
  json none = Running();
  none["cycle"] = nullptr;
  CHECK(StatusText(none).find("cycle: none") != std::string::npos);
}

TEST_CASE("a cycle waiting for a person stands at the stage that asked: planning for a plan, rolling_out for a promotion") {
  json s = Running();
  s["cycle"].erase("progress");
  s["cycle"]["stage"] = "awaiting_approval";
  s["cycle"]["approval"] = {{"id", "c1"}, {"subject", "plan"}, {"timeout_policy", "reject"}};
  const std::string plan = StatusText(s, {80});
  INFO(plan);
  CHECK(plan.find("stage 2/6 awaiting_approval") != std::string::npos);
  s["cycle"]["approval"]["subject"] = "promotion";
  const std::string promotion = StatusText(s, {80});
  INFO(promotion);
  CHECK(promotion.find("stage 6/6 awaiting_approval") != std::string::npos);
  CHECK(promotion.find("kaizen approve|reject c1") != std::string::npos);
}

TEST_CASE("status shows where agents run only when some agent is not forked") {
  json forked = Running();
  for (auto& a : forked["agents"]) a["placement"] = "fork";
  CHECK(StatusText(forked).find("PLACEMENT") == std::string::npos);
  CHECK(StatusText(forked) == StatusText(Running()));

  json slurm = Running();
  slurm["agents"][0]["placement"] = "slurm";
  slurm["agents"][0]["job_id"] = "42";
  slurm["agents"][0]["node"] = "node1";
  slurm["agents"][1]["placement"] = "slurm";
  slurm["agents"][1]["job_id"] = "43";
  slurm["agents"][1]["node"] = "";
  const std::string full = StatusText(slurm);
  INFO(full);
  CHECK(full.find("PLACEMENT") != std::string::npos);
  CHECK(full.find("slurm 42@node1") != std::string::npos);
  CHECK(full.find("slurm 43 ") != std::string::npos);  // queued: no node yet
  const std::string compact = StatusText(slurm, {80});
  CHECK(compact.find("slurm 42@node1") != std::string::npos);
  for (const auto& l : Lines(compact)) CHECK(CodePoints(l) <= 80);
}
