// The authorization table, checked for every message type a peer could send
// and every role, against expectations written out here independently.
#include "runtime/bus/auth_roles.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

namespace bus = kaizen::bus;
namespace v1 = kaizen::v1;

namespace {

const std::set<std::string> kAll = {"agent", "feedback", "admin"};
const std::set<std::string> kAgentOrAdmin = {"agent", "admin"};
const std::set<std::string> kPersonOrAdmin = {"feedback", "admin"};

// Body field name -> who may send it (empty: only the runtime).
const std::map<std::string, std::set<std::string>> kExpected = {
    {"hello", kAll},  // as "cli"; registering as an agent or a person is checked below
    {"heartbeat", kAll},
    {"state_change", kAll},
    {"ack", kAll},
    {"error", kAll},
    {"status_request", kAll},
    {"replay_request", kAll},
    {"task", kAll},
    {"feedback", kAll},
    {"approval_decision", kPersonOrAdmin},
    {"label_answer", kPersonOrAdmin},
    {"task_result", kAgentOrAdmin},
    {"trigger", kAgentOrAdmin},
    {"plan", kAgentOrAdmin},
    {"dataset_ready", kAgentOrAdmin},
    {"train_progress", kAgentOrAdmin},
    {"model_ready", kAgentOrAdmin},
    {"eval_report", kAgentOrAdmin},
    {"rollout_decision", kAgentOrAdmin},
    {"traffic_split", kAgentOrAdmin},
    {"scenario_report", kAgentOrAdmin},
    {"label_request", kAgentOrAdmin},
    {"request_closed", kAgentOrAdmin},
    {"metrics_report", kAgentOrAdmin},
    {"welcome", {}},
    {"status_reply", {}},
    {"replay_batch", {}},
    {"cluster_event", {}},
    {"approval_request", {}},
    {"data_request", {}},
    {"train_request", {}},
    {"eval_request", {}},
    {"rollout_request", {}},
    {"cycle_transition", {}},
    {"plan_request", {}},
};

}  // namespace

TEST_CASE("authorization: every message type from every role gets the table's answer", "[bus][auth]") {
  const auto* oneof = bus::Envelope::descriptor()->FindOneofByName("body");
  REQUIRE(oneof != nullptr);
  std::set<std::string> seen;
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    if (field->name() == "command") continue;  // by kind, below
    seen.insert(field->name());
    INFO("message " << field->name());
    // A message type added to the envelope must be given a row here (and in the table).
    REQUIRE(kExpected.count(field->name()) == 1);
    bus::Envelope e = bus::MakeEnvelope("peer", "runtime");
    e.GetReflection()->MutableMessage(&e, field);
    if (field->name() == "hello") e.mutable_hello()->set_role("cli");
    const auto& allowed = kExpected.at(field->name());
    for (const std::string role : {"agent", "feedback", "admin", "stranger", ""}) {
      INFO("role '" << role << "'");
      const std::string why = bus::RoleRefusal(role, e);
      CHECK(why.empty() == (allowed.count(role) > 0));
      if (!why.empty()) CHECK(why.find(field->name()) != std::string::npos);  // says which message
    }
    const auto listed = bus::RolesAllowed(static_cast<bus::Envelope::BodyCase>(field->number()));
    CHECK(std::set<std::string>(listed.begin(), listed.end()) == allowed);
  }
  CHECK(seen.size() == kExpected.size());
}

TEST_CASE("authorization: cluster commands need an admin key and worker commands come from the runtime only",
          "[bus][auth]") {
  const auto* kinds = v1::Command::Kind_descriptor();
  for (int i = 0; i < kinds->value_count(); ++i) {
    const auto kind = static_cast<v1::Command::Kind>(kinds->value(i)->number());
    bus::Envelope cmd = bus::MakeEnvelope("peer", "runtime");
    cmd.mutable_command()->set_kind(kind);
    const bool operator_command = kind == v1::Command::SHUTDOWN || kind == v1::Command::DRAIN ||
                                  kind == v1::Command::PROMOTE || kind == v1::Command::ROLLBACK ||
                                  kind == v1::Command::SET_ANCHOR;
    INFO(v1::Command::Kind_Name(kind));
    CHECK(bus::RoleRefusal("admin", cmd).empty() == operator_command);
    CHECK_FALSE(bus::RoleRefusal("agent", cmd).empty());
    CHECK_FALSE(bus::RoleRefusal("feedback", cmd).empty());
    if (operator_command) {
      CHECK(bus::RoleRefusal("feedback", cmd).find("needs an admin key, not feedback") != std::string::npos);
    } else {
      CHECK(bus::RoleRefusal("admin", cmd).find("only sent by the runtime") != std::string::npos);
    }
  }
}

TEST_CASE("authorization: the three gaps - a feedback key may not trigger a cycle, move the split or end the run",
          "[bus][auth]") {
  for (const char* body : {"trigger", "traffic_split", "scenario_report"}) {
    bus::Envelope e = bus::MakeEnvelope("alice", "runtime");
    e.GetReflection()->MutableMessage(&e, bus::Envelope::descriptor()->FindFieldByName(body));
    INFO(body);
    CHECK(bus::RoleRefusal("feedback", e) == std::string(body) + " needs an agent or admin key, not feedback");
    CHECK(bus::RoleRefusal("agent", e).empty());
  }
}

TEST_CASE("authorization: who may register as what", "[bus][auth]") {
  bus::Envelope hello = bus::MakeEnvelope("peer", "runtime");
  hello.mutable_hello()->set_role("monitoring");
  CHECK(bus::RoleRefusal("agent", hello).empty());
  CHECK(bus::RoleRefusal("admin", hello).find("needs an agent key, not admin") != std::string::npos);
  CHECK_FALSE(bus::RoleRefusal("feedback", hello).empty());
  hello.mutable_hello()->set_role("feedback");
  CHECK(bus::RoleRefusal("agent", hello).find("needs a feedback or admin key, not agent") != std::string::npos);
  CHECK(bus::RoleRefusal("feedback", hello).empty());
  CHECK(bus::RoleRefusal("admin", hello).empty());
  hello.mutable_hello()->set_role("cli");
  for (const char* role : {"agent", "feedback", "admin"}) CHECK(bus::RoleRefusal(role, hello).empty());
}

TEST_CASE("authorization: stage replies and the split must belong to the running cycle, nothing else is held to it",
          "[bus][auth]") {
  const std::set<std::string> kCycleScoped = {"plan",         "dataset_ready",    "train_progress",
                                              "eval_report",  "rollout_decision", "traffic_split"};
  const auto* oneof = bus::Envelope::descriptor()->FindOneofByName("body");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    INFO("message " << field->name());
    bus::Envelope e = bus::MakeEnvelope("peer", "runtime");
    e.GetReflection()->MutableMessage(&e, field);
    e.set_cycle_id("c1");
    CHECK(bus::CycleRefusal(e, "c1").empty());
    const bool scoped = kCycleScoped.count(field->name()) > 0 || field->name() == "model_ready";
    CHECK(bus::CycleRefusal(e, "c2").empty() == !scoped);
    CHECK(bus::CycleRefusal(e, "").empty() == !scoped);
    e.clear_cycle_id();
    // An initial model names no cycle; every other scoped message must name the running one.
    CHECK(bus::CycleRefusal(e, "c1").empty() == (!scoped || field->name() == "model_ready"));
  }
  bus::Envelope late = bus::MakeEnvelope("planning", "runtime");
  late.mutable_plan();
  late.set_cycle_id("c1");
  CHECK(bus::CycleRefusal(late, "c2") == "plan for cycle 'c1' is not for the running cycle (c2)");
  CHECK(bus::CycleRefusal(late, "") == "plan for cycle 'c1' is not for the running cycle (none runs)");
}
