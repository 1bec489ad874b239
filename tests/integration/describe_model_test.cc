// `kaizen describe model` through the real binary, on a state dir whose store
// holds a registry entry and the journal of its answers and ratings.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "envelope.pb.h"
#include "runtime/store/store.h"
#include "tests/integration/cluster_harness.h"
#include "tests/support/temp_dir.h"

using json = nlohmann::json;
using kaizen::testing::Kaizen;
namespace store = kaizen::store;
namespace v1 = kaizen::v1;

namespace {

void WriteStore(const std::string& db) {
  auto s = store::Store::Open(db);
  REQUIRE(s.ok());
  store::ModelRow m;
  m.version = "v2";
  m.parent = "v1";
  m.uri = "file:///nowhere/v2.kzm";
  m.sha256 = "00ff";
  m.status = store::ModelStatus::kServing;
  m.metrics_json = R"({"train_rows": 900})";
  m.created_ms = 1'800'000'000'000;
  REQUIRE((*s)->PutModel(m).ok());
  auto add = [&](const std::string& kind, const v1::Envelope& e) {
    store::JournalEvent ev;
    ev.ts_ms = 1'800'000'000'000;
    ev.kind = kind;
    ev.payload = e.SerializeAsString();
    REQUIRE((*s)->AppendEvent(&ev).ok());
  };
  // 10 answers at confidence 0.85: 6 rated up, 2 down, 2 unrated; one deferred answer the worker got wrong.
  for (int i = 0; i < 10; ++i) {
    v1::Envelope r;
    auto* t = r.mutable_task_result();
    t->set_task_id("t" + std::to_string(i));
    t->set_model_version("v2");
    t->set_confidence(0.85);
    t->set_output("a");
    t->set_ok(true);
    add("task_result", r);
    if (i >= 8) continue;
    v1::Envelope f;
    f.mutable_feedback()->set_task_id("t" + std::to_string(i));
    f.mutable_feedback()->set_kind(i < 6 ? v1::Feedback::THUMBS_UP : v1::Feedback::THUMBS_DOWN);
    add("feedback", f);
  }
  v1::Envelope d;
  auto* t = d.mutable_task_result();
  t->set_task_id("d");
  t->set_model_version("v2");
  t->set_confidence(0.15);
  t->set_output("teacher's");
  t->set_ok(true);
  (*t->mutable_tags())["deferred"] = "oracle";
  (*t->mutable_tags())["worker_answer"] = "worker's";
  (*t->mutable_tags())["worker_confidence"] = "0.15";
  add("task_result", d);
}

}  // namespace

TEST_CASE("kaizen describe model prints a version's entry and the calibration of its confidence",
          "[integration][describe]") {
  kaizen::testing::TempDir dir("describe-model");
  const std::string sd = " --state-dir " + dir.path().string();
  WriteStore((dir.path() / "state.db").string());

  auto j = Kaizen("describe model v2 -o json" + sd);
  REQUIRE(j.exit_code == 0);
  json m = json::parse(j.out);
  INFO(m.dump(2));
  CHECK(m["status"] == "serving");
  CHECK(m["metrics"]["train_rows"] == 900);
  const json& c = m["calibration"];
  CHECK(c["answers"] == 11);
  CHECK(c["judged"] == 9);
  CHECK(c["by_feedback"] == 8);
  CHECK(c["by_teacher"] == 1);
  CHECK(c["bins"][8]["accuracy"] == Approx(0.75));
  CHECK(c["bins"][1]["accuracy"] == Approx(0.0));
  // 8/9 * |0.75 - 0.85| + 1/9 * |0 - 0.15|
  CHECK(c["ece"] == Approx(8.0 / 9 * 0.1 + 1.0 / 9 * 0.15));

  auto text = Kaizen("describe model v2" + sd);
  REQUIRE(text.exit_code == 0);
  INFO(text.out);
  CHECK(text.out.rfind("model v2: serving   from v1", 0) == 0);
  CHECK(text.out.find("  ECE                 0.106") != std::string::npos);
  CHECK(text.out.find("  0.8-0.9            8      0.850     0.750\n") != std::string::npos);

  CHECK(Kaizen("describe model v9" + sd + " 2>/dev/null").exit_code == 2);
  CHECK(Kaizen("describe model v2 --state-dir " + (dir.path() / "nowhere").string() + " 2>/dev/null").exit_code != 0);
}
