// kaizen fsck: checks a cluster's store and artifacts, read-only, so it runs
// whether the cluster runs or not (a running runtime keeps writing; fsck
// reads one consistent WAL snapshot per query). What it checks:
//   - SQLite's own PRAGMA integrity_check and foreign_key_check;
//   - the journal: every payload decodes as an Envelope whose seq is its
//     row's, and seqs strictly increase (what replays and `kaizen logs` rely on);
//   - tasks: every answered task has its result row, no result lacks its task;
//   - artifacts: every registered model and dataset file exists and hashes to
//     the sha256 the registry holds.
// Exit 0 when all is well, 1 with one line per problem, 3 without a store.
#include <cstdio>
#include <string>
#include <vector>

#include "agents/sdk/artifacts.h"
#include "runtime/bus/envelope_codec.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/stored_cluster.h"
#include "runtime/store/database.h"

namespace kaizen::cli {
namespace {

struct Findings {
  std::vector<std::string> problems;
  void Add(std::string p) { problems.push_back(std::move(p)); }
};

void CheckJournal(const store::Store& store, Findings* f, uint64_t* events) {
  store::EventFilter filter;
  filter.limit = 5000;
  uint64_t last = 0;
  size_t undecodable = 0, mismatched = 0;
  while (true) {
    auto rows = store.ReadEvents(filter);
    if (!rows.ok()) {
      f->Add("journal: cannot read from seq " + std::to_string(filter.from_seq) + ": " + rows.status().message());
      return;
    }
    for (const auto& row : *rows) {
      ++*events;
      if (row.seq <= last) f->Add("journal: seq " + std::to_string(row.seq) + " follows " + std::to_string(last));
      last = row.seq;
      bus::Envelope e;
      if (!e.ParseFromString(row.payload)) {
        if (++undecodable <= 10) f->Add("journal: event " + std::to_string(row.seq) + " (" + row.kind + ") does not decode");
      } else if (e.seq() != 0 && e.seq() != row.seq) {
        if (++mismatched <= 10)
          f->Add("journal: event " + std::to_string(row.seq) + " says it is seq " + std::to_string(e.seq()));
      }
    }
    if (rows->size() < filter.limit) break;
    filter.from_seq = rows->back().seq + 1;
  }
  if (undecodable > 10) f->Add("journal: " + std::to_string(undecodable) + " events do not decode in all");
  if (mismatched > 10) f->Add("journal: " + std::to_string(mismatched) + " events carry another seq in all");
}

void CheckArtifact(const std::string& what, const std::string& uri, const std::string& sha256, Findings* f) {
  if (Status s = sdk::VerifyArtifact(uri, sha256); !s.ok()) f->Add(what + ": " + s.message());
}

}  // namespace

int RunFsck(const FsckOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("fsck", o.state_dir, &code);
  if (!cluster) return code;
  const store::Store& store = *cluster->store;
  Findings f;

  auto integrity = store.IntegrityCheck();
  if (!integrity.ok()) {
    f.Add("state.db: integrity check failed to run: " + integrity.status().message());
  } else if (*integrity != "ok") {
    f.Add("state.db: PRAGMA integrity_check: " + *integrity);
  }
  auto db = store::Database::Open(store.path(), /*read_only=*/true);
  if (!db.ok()) {
    f.Add("state.db: " + db.status().message());
  } else {
    auto dangling = db->QueryText("PRAGMA foreign_key_check");
    if (dangling.ok()) f.Add("state.db: a row in table " + *dangling + " points at a row that is gone");
    auto unanswered = db->QueryInt(
        "SELECT COUNT(*) FROM tasks t WHERE t.status = 'answered' AND NOT EXISTS "
        "(SELECT 1 FROM results r WHERE r.task_id = t.id)");
    if (unanswered.ok() && *unanswered > 0)
      f.Add("tasks: " + std::to_string(*unanswered) + " answered tasks have no stored answer");
    auto orphans = db->QueryInt(
        "SELECT COUNT(*) FROM results r WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = r.task_id)");
    if (orphans.ok() && *orphans > 0) f.Add("tasks: " + std::to_string(*orphans) + " answers have no task");
  }

  uint64_t events = 0;
  CheckJournal(store, &f, &events);

  size_t artifacts = 0;
  if (auto models = store.ListModels(); models.ok()) {
    for (const auto& m : *models) {
      ++artifacts;
      CheckArtifact("model " + m.version, m.uri, m.sha256, &f);
    }
  } else {
    f.Add("models: " + models.status().message());
  }
  if (db.ok()) {
    // Datasets have no list call in the store; their ids come from the table.
    auto ids = db->QueryText("SELECT group_concat(id, char(10)) FROM datasets");
    std::string all = ids.ok() ? *ids : "";
    for (size_t at = 0; at < all.size();) {
      size_t end = all.find('\n', at);
      if (end == std::string::npos) end = all.size();
      const std::string id = all.substr(at, end - at);
      at = end + 1;
      auto row = store.GetDataset(id);
      if (!row.ok() || !*row) continue;
      ++artifacts;
      CheckArtifact("dataset " + id, (*row)->uri, (*row)->sha256, &f);
    }
  }

  for (const auto& p : f.problems) std::printf("%s\n", p.c_str());
  if (!f.problems.empty()) {
    std::fprintf(stderr, "kaizen fsck: %zu problems in %s\n", f.problems.size(), cluster->state_dir.c_str());
    return kExitFailure;
  }
  std::printf("ok: %s: integrity ok, %llu journal events in order, %zu artifacts hash to their names\n",
              cluster->state_dir.c_str(), static_cast<unsigned long long>(events), artifacts);
  return kExitOk;
}

}  // namespace kaizen::cli
