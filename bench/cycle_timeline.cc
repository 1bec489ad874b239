#include "bench/cycle_timeline.h"

#include <algorithm>
#include <ctime>
#include <fstream>

#include "runtime/bus/envelope_codec.h"
#include "runtime/store/store.h"

namespace kaizen::bench {
namespace {

// "2026-11-24T09:50:44.775 info [datagen] ..." -> wall ms (the time is UTC).
int64_t LogLineMs(const std::string& line) {
  std::tm tm{};
  const char* rest = strptime(line.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest || *rest != '.') return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + std::atoi(rest + 1);
}

// Times of the lines of logs/<agent>.log that contain every one of `parts`.
std::vector<int64_t> LogTimes(const std::string& state_dir, const std::string& agent,
                              const std::vector<std::string>& parts) {
  std::vector<int64_t> out;
  std::ifstream in(state_dir + "/logs/" + agent + ".log");
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) {
      if (int64_t ms = LogLineMs(line)) out.push_back(ms);
    }
  }
  return out;
}

// Pairs each start with the first end at or after it.
void Pair(const std::string& name, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
          CycleTimeline* t) {
  for (int64_t s : starts) {
    auto e = std::lower_bound(ends.begin(), ends.end(), s);
    if (e == ends.end()) {
      t->missing.push_back(name + " (no end)");
      continue;
    }
    t->excluded.push_back({name, s, *e});
  }
  if (starts.empty()) t->missing.push_back(name);
}

std::vector<bus::Envelope> Events(const store::Store& s, const std::string& kind, const std::string& cycle) {
  store::EventFilter f;
  f.kind = kind;
  f.cycle = cycle;
  f.limit = 0;
  std::vector<bus::Envelope> out;
  auto rows = s.ReadEvents(f);
  if (!rows.ok()) return out;
  for (const auto& r : *rows) {
    bus::Envelope e;
    if (e.ParseFromString(r.payload)) out.push_back(std::move(e));
  }
  return out;
}

bool Final(v1::CycleStage s) {
  return s == v1::CYCLE_STAGE_PROMOTED || s == v1::CYCLE_STAGE_ROLLED_BACK || s == v1::CYCLE_STAGE_ABORTED;
}

// The window minus the union of the excluded intervals, as labelled gaps.
void FindGaps(CycleTimeline* t) {
  std::vector<Interval> ex = t->excluded;
  std::sort(ex.begin(), ex.end(), [](const Interval& a, const Interval& b) { return a.start_ms < b.start_ms; });
  int64_t at = t->start_ms;
  std::string after = "cycle start";
  for (const auto& i : ex) {
    const int64_t s = std::clamp(i.start_ms, t->start_ms, t->end_ms), e = std::clamp(i.end_ms, t->start_ms, t->end_ms);
    if (s > at) t->gaps.push_back({after + " -> " + i.name, at, s});
    if (e > at) {
      at = e;
      after = i.name;
    }
  }
  if (t->end_ms > at) t->gaps.push_back({after + " -> " + t->outcome, at, t->end_ms});
  t->overhead_ms = 0;
  for (const auto& g : t->gaps) t->overhead_ms += static_cast<double>(g.end_ms - g.start_ms);
}

}  // namespace

CycleTimeline AnalyzeCycle(const std::string& state_dir, const std::string& cycle_id, const std::string& candidate) {
  CycleTimeline t;
  auto opened = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  if (!opened.ok()) return t;
  const store::Store& s = **opened;

  int64_t rolling_out_ms = 0;
  for (const auto& e : Events(s, "cycle_transition", cycle_id)) {
    const auto& ct = e.cycle_transition();
    if (t.start_ms == 0) t.start_ms = e.timestamp_ms();
    if (ct.to() == v1::CYCLE_STAGE_ROLLING_OUT && rolling_out_ms == 0) rolling_out_ms = e.timestamp_ms();
    if (Final(ct.to())) {
      t.end_ms = e.timestamp_ms();
      t.outcome = v1::CycleStage_Name(ct.to());
    }
  }
  if (t.start_ms == 0 || t.end_ms == 0) return t;
  t.cycle_id = cycle_id;
  std::transform(t.outcome.begin(), t.outcome.end(), t.outcome.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t.outcome.rfind("cycle_stage_", 0) == 0) t.outcome = t.outcome.substr(12);

  // Data: waiting for inputs, then the teacher.
  const std::string tag = "cycle " + cycle_id + ": ";
  auto requested = LogTimes(state_dir, "datagen", {tag + "data request"});
  auto selected = LogTimes(state_dir, "datagen", {tag + "selected "});
  auto written = LogTimes(state_dir, "datagen", {tag + "dataset ", " ready: "});
  Pair("collect wait", requested, selected, &t);
  Pair("teacher calls", selected, written, &t);

  // Training: the trainer's own seconds, from when it was started.
  auto trained = LogTimes(state_dir, "training", {tag + "training " + candidate + " from"});
  auto model = s.GetModel(candidate);
  double seconds = 0;
  if (model.ok() && *model) {
    auto m = nlohmann::json::parse((*model)->metrics_json, nullptr, false);
    if (m.is_object()) seconds = m.value("seconds", 0.0);
  }
  if (!trained.empty() && seconds > 0) {
    t.excluded.push_back({"training", trained.back(), trained.back() + static_cast<int64_t>(seconds * 1000)});
  } else {
    t.missing.push_back("training");
  }

  // Evaluation: taken -> verdict (the next line about the cycle).
  auto eval_start = LogTimes(state_dir, "evaluation", {tag + "evaluating candidate"});
  auto eval_lines = LogTimes(state_dir, "evaluation", {tag});
  std::vector<int64_t> eval_end;
  for (int64_t st : eval_start) {
    auto next = std::upper_bound(eval_lines.begin(), eval_lines.end(), st);
    while (next != eval_lines.end() && std::binary_search(eval_start.begin(), eval_start.end(), *next)) ++next;
    if (next != eval_lines.end()) eval_end.push_back(*next);
  }
  std::sort(eval_end.begin(), eval_end.end());
  Pair("evaluation", eval_start, eval_end, &t);

  // The A/B test: the rollout's first traffic split -> the decision.
  int64_t ab_start = 0, ab_end = 0;
  for (const char* kind : {"traffic", "cluster"}) {
    for (const auto& e : Events(s, kind, "")) {
      if (!e.has_cluster_event() || e.cluster_event().what() != "traffic") continue;
      if (rolling_out_ms && e.timestamp_ms() >= rolling_out_ms && (ab_start == 0 || e.timestamp_ms() < ab_start)) {
        ab_start = e.timestamp_ms();
      }
    }
  }
  for (const auto& e : Events(s, "rollout", cycle_id)) {
    if (e.has_rollout_decision()) ab_end = e.timestamp_ms();
  }
  if (ab_start && ab_end >= ab_start) {
    t.excluded.push_back({"A/B test", ab_start, ab_end});
  } else if (rolling_out_ms) {
    t.missing.push_back("A/B test");
  }
  FindGaps(&t);
  return t;
}

nlohmann::json CycleTimeline::ToJson() const {
  auto list = [this](const std::vector<Interval>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& i : v) {
      a.push_back({{"name", i.name}, {"from_ms", i.start_ms - start_ms}, {"to_ms", i.end_ms - start_ms},
                   {"ms", i.end_ms - i.start_ms}});
    }
    return a;
  };
  return {{"cycle", cycle_id},     {"outcome", outcome},   {"wall_ms", end_ms - start_ms},
          {"excluded", list(excluded)}, {"gaps", list(gaps)}, {"overhead_ms", overhead_ms},
          {"missing", missing}};
}

}  // namespace kaizen::bench
