// The audit entry of a cycle decision: kind, cycle, actor (an approval's
// person), the registry rows with their artifacts, the stage reason; and the
// bookkeeping "request" decision left out.
#include <catch2/catch.hpp>

#include "runtime/controller/decision_audit.h"

using kaizen::controller::AuditEntryOf;
using kaizen::controller::Decision;

namespace {

kaizen::controller::Event DecisionAuditTransition(const std::string& cycle, kaizen::v1::CycleStage to,
                                                  const std::string& reason) {
  kaizen::bus::Envelope e = kaizen::bus::MakeEnvelope("runtime", "");
  auto* t = e.mutable_cycle_transition();
  t->set_cycle_id(cycle);
  t->set_from(kaizen::v1::CYCLE_STAGE_AWAITING_APPROVAL);
  t->set_to(to);
  t->set_reason(reason);
  return {"cycle_transition", "", "cycle", e};
}

}  // namespace

TEST_CASE("decision audit: a promotion approved by a person names the person, the rows and the artifacts",
          "[audit]") {
  Decision d;
  d.what = "promoted";
  kaizen::cycle::CycleRecord c;
  c.id = "c3";
  c.stage = kaizen::v1::CYCLE_STAGE_PROMOTED;
  c.incumbent = {"v1", "file:///a/v1", std::string(64, 'a')};
  c.candidate = {"v2", "file:///a/v2", std::string(64, 'b')};
  c.outcome_reason = "promotion approved by alice (cli-7)";
  d.cycle = c;
  kaizen::store::ModelRow v2;
  v2.version = "v2";
  v2.parent = "v1";
  v2.uri = "file:///a/v2";
  v2.sha256 = std::string(64, 'b');
  v2.status = kaizen::store::ModelStatus::kServing;
  d.models.push_back(v2);
  kaizen::bus::Envelope approval = kaizen::bus::MakeEnvelope("cli-7", "");
  approval.mutable_approval_decision()->set_approved(true);
  approval.mutable_approval_decision()->set_decided_by("alice (cli-7)");
  d.events.push_back({"approval_decision", "cli-7", "", approval});
  d.events.push_back(DecisionAuditTransition("c3", kaizen::v1::CYCLE_STAGE_PROMOTED, c.outcome_reason));

  auto entry = AuditEntryOf(d, 1234);
  REQUIRE(entry);
  CHECK(entry->kind == "promoted");
  CHECK(entry->cycle == "c3");
  CHECK(entry->ts_ms == 1234);
  CHECK(entry->actor == "alice (cli-7)");
  CHECK(entry->body["stage"] == "promoted");
  CHECK(entry->body["reason"] == c.outcome_reason);
  CHECK(entry->body["transitions"].size() == 1);
  CHECK(entry->body["models"][0]["version"] == "v2");
  CHECK(entry->body["models"][0]["status"] == "serving");
  CHECK(entry->body["models"][0]["parent"] == "v1");
  CHECK(entry->body["events"][0]["message"]["approved"] == true);
  REQUIRE(entry->artifacts.size() == 1);
  CHECK(entry->artifacts[0].uri == "file:///a/v2");
  CHECK(entry->artifacts[0].sha256 == std::string(64, 'b'));
}

TEST_CASE("decision audit: datasets carry provenance, Kaizen's own decisions are the runtime's, requests are skipped",
          "[audit]") {
  Decision d;
  d.what = "dataset_ready";
  kaizen::store::DatasetRow ds;
  ds.id = std::string(64, 'c');
  ds.uri = "file:///a/d.jsonl";
  ds.sha256 = std::string(64, 'c');
  ds.rows = 12;
  ds.provenance_json = R"({"teacher":"oracle","teacher_calls":12})";
  d.datasets.push_back(ds);
  auto entry = AuditEntryOf(d, 1);
  REQUIRE(entry);
  CHECK(entry->actor == "runtime");
  CHECK(entry->cycle.empty());
  CHECK(entry->body["datasets"][0]["provenance"]["teacher"] == "oracle");
  CHECK(entry->body["datasets"][0]["rows"] == 12);
  REQUIRE(entry->artifacts.size() == 1);
  CHECK(entry->artifacts[0].uri == ds.uri);

  Decision op;
  op.what = "operator_rollback";
  CHECK(AuditEntryOf(op, 1)->actor == "operator");

  Decision request;
  request.what = "request";
  CHECK_FALSE(AuditEntryOf(request, 1).has_value());
}
