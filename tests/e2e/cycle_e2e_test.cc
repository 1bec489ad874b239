// End to end: the reduced intent-router scenario through real processes and
// sockets. Traffic drifts, monitoring triggers, a clone serves, teacher data
// is bought, a candidate is trained, evaluated and A/B tested, and the run
// summary tells the outcome. A bad teacher must never get promoted. After
// the good run, the audit trail verifies and an edit of one of its rows or
// one artifact byte is named by `kaizen audit verify`.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using json = nlohmann::json;

namespace {

// Runs the scenario in the background and returns the summary it writes.
json RunScenario(TestCluster& cluster, const std::string& name, double teacher_noise) {
  std::ofstream(cluster.manifest_path()) << ScenarioManifest(name, teacher_noise);
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  json summary = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(summary.is_object());
  INFO(summary.dump(2));
  std::printf("%s: %s\n", name.c_str(), summary.dump().c_str());
  return summary;
}

// `kaizen audit export` as one object per entry.
std::vector<json> E2eAuditEntries(const std::string& state_dir) {
  auto out = Kaizen("audit export --state-dir " + state_dir);
  REQUIRE(out.exit_code == 0);
  return kaizen::testing::JsonLines(out.out);
}

// Sets entry `seq`'s body to `body` as someone with the file would: the
// UPDATE trigger dropped first (Kaizen itself can never update an entry).
void E2eAuditEditBody(const std::string& db_path, int64_t seq, const json& body) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  char* err = nullptr;
  CHECK(sqlite3_exec(db, "UPDATE audit SET body = '{}' WHERE seq = 1", nullptr, nullptr, &err) != SQLITE_OK);
  CHECK(std::string(err ? err : "").find("append-only") != std::string::npos);
  sqlite3_free(err);
  REQUIRE(sqlite3_exec(db, "DROP TRIGGER audit_no_update", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "UPDATE audit SET body = ?1 WHERE seq = ?2", -1, &st, nullptr) == SQLITE_OK);
  const std::string text = body.dump();  // Kaizen's own spelling: only the hash can tell
  sqlite3_bind_text(st, 1, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, seq);
  CHECK(sqlite3_step(st) == SQLITE_DONE);
  sqlite3_finalize(st);
  CHECK(sqlite3_changes(db) == 1);
  sqlite3_close(db);
}

void E2eAuditTrailChecks(const std::string& state_dir) {
  namespace fs = std::filesystem;
  auto verify = [&] { return Kaizen("audit verify --state-dir " + state_dir); };
  auto ok = verify();
  INFO(ok.out);
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.out.find("chain intact") != std::string::npos);
  const std::vector<json> entries = E2eAuditEntries(state_dir);
  std::set<std::string> kinds;
  int64_t plan_seq = 0;
  std::string dataset_uri;
  int64_t dataset_seq = 0;
  for (const auto& e : entries) {
    kinds.insert(e["kind"].get<std::string>());
    if (e["kind"] == "plan" && plan_seq == 0) plan_seq = e["seq"].get<int64_t>();
    if (e["kind"] == "dataset_ready" && dataset_seq == 0 && !e["artifacts"].empty()) {
      dataset_seq = e["seq"].get<int64_t>();
      dataset_uri = e["artifacts"][0]["uri"].get<std::string>();
    }
  }
  for (const char* k : {"initial_model", "trigger", "plan", "dataset_ready", "model_ready", "promoted"}) {
    INFO(k);
    CHECK(kinds.count(k) == 1);
  }
  CHECK(Kaizen("audit show c1 --state-dir " + state_dir).out.find(" c1 ") != std::string::npos);
  const std::string exported = state_dir + "/../audit.jsonl";
  REQUIRE(Kaizen("audit export --state-dir " + state_dir + " -o " + exported).exit_code == 0);
  CHECK(kaizen::testing::ReadFile(exported) == Kaizen("audit export --state-dir " + state_dir).out);

  // One row's body edited: verify fails and names that entry.
  REQUIRE(plan_seq > 0);
  const std::string db = state_dir + "/state.db";
  // A copy of the store as it was (its WAL too, if a reader left one), put back after the edit.
  const std::vector<std::string> files = {db, db + "-wal", db + "-shm"};
  for (const auto& f : files) {
    if (fs::exists(f)) fs::copy_file(f, f + ".orig", fs::copy_options::overwrite_existing);
  }
  json body = entries[static_cast<size_t>(plan_seq - 1)]["body"];
  body["reason"] = "plan: nothing to see here";
  E2eAuditEditBody(db, plan_seq, body);
  auto edited = verify();
  CHECK(edited.exit_code == 1);
  CHECK(edited.out.find("entry " + std::to_string(plan_seq) + ": its hash does not match its contents") !=
        std::string::npos);
  for (const auto& f : files) {
    fs::remove(f);
    if (fs::exists(f + ".orig")) fs::rename(f + ".orig", f);
  }
  REQUIRE(verify().exit_code == 0);

  // One artifact byte flipped: verify fails and names the artifact and its entry.
  REQUIRE(dataset_seq > 0);
  const std::string path = dataset_uri.substr(std::string("file://").size());
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  char c = 0;
  f.seekg(0);
  f.get(c);
  f.seekp(0);
  f.put(static_cast<char>(c ^ 0x01));
  f.close();
  auto flipped = verify();
  CHECK(flipped.exit_code == 1);
  CHECK(flipped.out.find("entry " + std::to_string(dataset_seq) + ": artifact " + dataset_uri + " has sha256 ") !=
        std::string::npos);
}

}  // namespace

TEST_CASE("a drop in quality runs a whole cycle to promotion, and no task is lost or answered twice", "[e2e]") {
  TestCluster cluster("e2e-good");
  json s = RunScenario(cluster, "e2e-good", 0.0);
  INFO(s.dump(2));
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(c["trigger"]["policy"] == "performance");
  CHECK(c["trigger"]["task_index"].get<int64_t>() > 1500);  // after the drift, not before
  CHECK(c["teacher_calls"].get<int64_t>() <= 1500);
  CHECK(c["teacher_calls"].get<int64_t>() > 0);
  std::vector<std::string> stages;
  for (const auto& st : c["stages"]) stages.push_back(st["name"]);
  CHECK(stages == std::vector<std::string>{"triggered", "planning", "generating_data", "training", "evaluating",
                                           "rolling_out", "promoted"});
  const json& acc = s["accuracy"];
  CHECK(acc["before_drift"].get<double>() > 0.85);
  CHECK(acc["after_drift"].get<double>() < acc["before_drift"].get<double>() - 0.15);
  CHECK(acc["after_promotion"].get<double>() > acc["after_drift"].get<double>() + 0.1);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
  CHECK(s["serving"] == c["candidate"]);
  E2eAuditTrailChecks(cluster.state_dir());
}

TEST_CASE("a teacher that answers at random never gets its candidate promoted, and the old version keeps serving",
          "[e2e]") {
  TestCluster cluster("e2e-bad");
  json s = RunScenario(cluster, "e2e-bad", 1.0);
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK((c["outcome"] == "aborted" || c["outcome"] == "rolled_back"));
  CHECK(s["serving"] == c["incumbent"]);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
}
