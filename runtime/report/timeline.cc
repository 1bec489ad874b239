#include "runtime/report/timeline.h"

#include <algorithm>
#include <map>
#include <set>

#include "runtime/base/text.h"
#include "runtime/report/journal_scan.h"

namespace kaizen::report {
namespace {

using json = nlohmann::json;

// A bucket width people read easily: 1 s, 2 s, 5 s, ..., 1 h, ..., 1 day.
int64_t NiceBucket(int64_t span_ms, int target) {
  static const int64_t kSteps[] = {1000,     2000,     5000,      10000,     15000,     30000,    60000,
                                   120000,   300000,   600000,    900000,    1800000,   3600000,  7200000,
                                   21600000, 43200000, 86400000};
  const int64_t want = span_ms / std::max(1, target);
  for (int64_t s : kSteps) {
    if (s >= want) return s;
  }
  return 86400000;
}

struct Counts {
  int64_t tasks = 0, up = 0, down = 0;
};

// Answers a teacher gave in the worker's place (TaskResult tag `deferred`).
struct DeferredCounts {
  int64_t answers = 0, deferred = 0, answers_in_cycle = 0, deferred_in_cycle = 0;
  double cost = 0;
};

// A tag's cost such as "0.001"; 0 when missing or not a finite number >= 0.
double TimelineCost(const std::string& text) {
  const double v = ParseDecimal(text).value_or(0);
  return v < 0 ? 0 : v;
}

std::string StageLabel(v1::CycleStage s) {
  switch (s) {
    case v1::CYCLE_STAGE_PROMOTED: return "promoted";
    case v1::CYCLE_STAGE_ROLLED_BACK: return "rolled_back";
    case v1::CYCLE_STAGE_ABORTED: return "aborted";
    default: return "";
  }
}

}  // namespace

Result<json> LoadTimeline(const store::Store& store, const TimelineOptions& options) {
  int64_t from = options.from_ms, to = options.to_ms;
  if (from == 0 || to == 0) {
    store::EventFilter first;
    first.limit = 1;
    auto head = store.ReadEvents(first);
    if (!head.ok()) return head.status();
    store::EventFilter last = first;
    last.from_seq = std::max<uint64_t>(1, store.LastSeq());
    auto tail = store.ReadEvents(last);
    if (!tail.ok()) return tail.status();
    if (from == 0 && !head->empty()) from = head->front().ts_ms;
    if (to == 0 && !tail->empty()) to = tail->back().ts_ms;
  }
  if (to < from) to = from;
  const int64_t bucket = NiceBucket(to - from, options.target_buckets);
  const int64_t start = from / bucket * bucket;
  const size_t n = static_cast<size_t>((to - start) / bucket + 1);
  std::vector<Counts> total(n);
  std::map<std::string, std::vector<Counts>> by_version;
  std::vector<std::string> versions;
  auto slot = [&](int64_t ts) -> long { return ts < from || ts > to ? -1 : static_cast<long>((ts - start) / bucket); };
  auto version_counts = [&](const std::string& v) -> std::vector<Counts>& {
    auto it = by_version.find(v);
    if (it == by_version.end()) {
      versions.push_back(v);
      it = by_version.emplace(v, std::vector<Counts>(n)).first;
    }
    return it->second;
  };

  store::EventFilter f;
  f.since_ms = from;
  // The simulator's account, if any: drift point and accuracy per 500 tasks.
  json scenario = nullptr;
  f.kind = "scenario";
  Status s = ScanJournal(store, f, [&](const store::JournalEvent&, const v1::Envelope& e) {
    json j = json::parse(e.scenario_report().json(), nullptr, false);
    if (j.is_object()) scenario = j;
  });
  if (!s.ok()) return s;
  std::set<uint64_t> wanted;  // task indexes whose answer time places a point
  uint64_t drift_at = 0;
  if (scenario.is_object()) {
    drift_at = scenario.value("drift_at_task", uint64_t{0});
    if (drift_at) wanted.insert(drift_at);
    for (const auto& b : scenario.value("timeline", json::array())) {
      wanted.insert(b.value("first_task", uint64_t{0}) + b.value("tasks", uint64_t{0}) / 2);
    }
  }
  std::map<uint64_t, int64_t> index_ts;
  DeferredCounts deferred;

  f.kind = "task_result";
  s = ScanJournal(store, f, [&](const store::JournalEvent& row, const v1::Envelope& e) {
    const auto& r = e.task_result();
    if (wanted.count(r.task_index())) index_ts[r.task_index()] = row.ts_ms;
    long i = slot(row.ts_ms);
    if (i < 0) return;
    ++total[i].tasks;
    ++version_counts(r.model_version())[i].tasks;
    const bool in_cycle = !e.cycle_id().empty();
    ++deferred.answers;
    deferred.answers_in_cycle += in_cycle;
    auto teacher = r.tags().find("deferred");
    if (teacher == r.tags().end() || teacher->second.empty()) return;
    ++deferred.deferred;
    deferred.deferred_in_cycle += in_cycle;
    auto cost = r.tags().find("deferred_cost");
    if (cost != r.tags().end()) deferred.cost += TimelineCost(cost->second);
  });
  if (!s.ok()) return s;
  f.kind = "feedback";
  s = ScanJournal(store, f, [&](const store::JournalEvent& row, const v1::Envelope& e) {
    const auto& fb = e.feedback();
    long i = slot(row.ts_ms);
    if (i < 0 || (fb.kind() != v1::Feedback::THUMBS_UP && fb.kind() != v1::Feedback::THUMBS_DOWN)) return;
    const bool up = fb.kind() == v1::Feedback::THUMBS_UP;
    (up ? total[i].up : total[i].down) += 1;
    if (!fb.model_version().empty()) {
      Counts& c = version_counts(fb.model_version())[i];
      (up ? c.up : c.down) += 1;
    }
  });
  if (!s.ok()) return s;

  json markers = json::array();
  if (drift_at && index_ts.count(drift_at)) {
    markers.push_back({{"t_ms", index_ts[drift_at]}, {"kind", "drift"}, {"label", "drift (task " + std::to_string(drift_at) + ")"}});
  }
  f.kind = "trigger";
  s = ScanJournal(store, f, [&](const store::JournalEvent& row, const v1::Envelope& e) {
    if (e.cycle_id().empty() || row.ts_ms > to) return;  // a trigger ignored while a cycle ran
    markers.push_back({{"t_ms", row.ts_ms}, {"kind", "trigger"}, {"label", "trigger " + e.cycle_id()}, {"cycle", e.cycle_id()}});
  });
  if (!s.ok()) return s;
  f.kind = "cycle_transition";
  s = ScanJournal(store, f, [&](const store::JournalEvent& row, const v1::Envelope& e) {
    const std::string what = StageLabel(e.cycle_transition().to());
    if (what.empty() || row.ts_ms > to) return;
    markers.push_back({{"t_ms", row.ts_ms}, {"kind", what}, {"label", what + " " + e.cycle_id()}, {"cycle", e.cycle_id()}});
  });
  if (!s.ok()) return s;
  std::stable_sort(markers.begin(), markers.end(),
                   [](const json& a, const json& b) { return a["t_ms"].get<int64_t>() < b["t_ms"].get<int64_t>(); });

  json teacher = json::array();
  int64_t calls = 0;
  double cost = 0;
  f.kind = "dataset";
  s = ScanJournal(store, f, [&](const store::JournalEvent& row, const v1::Envelope& e) {
    if (row.ts_ms > to) return;
    calls += e.dataset_ready().teacher_calls();
    cost += e.dataset_ready().teacher_cost();
    teacher.push_back({{"t_ms", row.ts_ms}, {"cycle", e.cycle_id()}, {"calls", calls}, {"cost", cost}});
  });
  if (!s.ok()) return s;

  json buckets = json::array();
  for (size_t i = 0; i < n; ++i) {
    const Counts& c = total[i];
    json vs = json::object();
    for (const auto& v : versions) {
      const Counts& vc = by_version[v][i];
      if (vc.tasks || vc.up || vc.down) vs[v] = {{"tasks", vc.tasks}, {"up", vc.up}, {"down", vc.down}};
    }
    const int64_t rated = c.up + c.down;
    buckets.push_back({{"t_ms", start + static_cast<int64_t>(i) * bucket},
                       {"tasks", c.tasks},
                       {"up", c.up},
                       {"down", c.down},
                       {"rate", rated == 0 ? json(nullptr) : json(static_cast<double>(c.up) / static_cast<double>(rated))},
                       {"versions", vs}});
  }
  json accuracy = json::array();
  if (scenario.is_object()) {
    for (const auto& b : scenario.value("timeline", json::array())) {
      const uint64_t mid = b.value("first_task", uint64_t{0}) + b.value("tasks", uint64_t{0}) / 2;
      if (!index_ts.count(mid)) continue;
      accuracy.push_back({{"t_ms", index_ts[mid]}, {"accuracy", b.value("accuracy", 0.0)}, {"tasks", b.value("tasks", 0)}});
    }
  }
  json out{{"start_ms", from},   {"end_ms", to},         {"bucket_ms", bucket}, {"buckets", buckets},
           {"versions", versions}, {"accuracy", accuracy}, {"markers", markers},  {"teacher", teacher}};
  out["deferred"] = {{"answers", deferred.answers},
                     {"deferred", deferred.deferred},
                     {"cost", deferred.cost},
                     {"answers_during_cycle", deferred.answers_in_cycle},
                     {"deferred_during_cycle", deferred.deferred_in_cycle}};
  out["scenario_accuracy"] = scenario.is_object() ? scenario.value("accuracy", json(nullptr)) : json(nullptr);
  return out;
}

}  // namespace kaizen::report
