// Figure 8, efficacy: the learning curve of the whole improvement cycle, from
// real runs of the kaizen binary (each `kaizen up` in the foreground, from a
// fresh state dir), and what the teacher it buys labels from could do itself.
//
//  1. The curve: the demo scenario (manifests/intent-router.yaml) for each
//     teacher budget (spec.planning.teacher_budget.max_calls), in three arms
//     (kArms below): kaizen (the cycle as shipped), baseline (the same cycle
//     with random selection and no carve-out tricks) and rounds (the budget
//     spent in two rounds of half: a follow-up round). Each run: accuracy after
//     promotion (or over its last tasks_after_cycle tasks when it did not
//     promote: efficacy_summary.h), teacher calls spent, cycles and outcomes.
//  2. The teacher's own accuracy on the simulator's after-drift pool
//     (teacher_reference.h), and kaizen / teacher.
//  3. Deferral: the kaizen arm at kDeferralBudget with serve-time deferral on
//     against the same run with it off (the curve's kaizen run at that budget).
//
// Figures go to stdout (one line each, report.h), the table and progress to
// stderr, everything with every run's figures to --json.
//
//   efficacy_bench [--budgets 250,500,1000,2000] [--arms kaizen,baseline] [--rate N]
//                  [--only-deferral | --no-deferral] [--drop-edits KEY,KEY] [--timeout S]
//                  [--kaizen BIN] [--manifest YAML] [--keep] [--json FILE] [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "bench/efficacy_run.h"
#include "bench/efficacy_summary.h"
#include "bench/http_load.h"
#include "bench/manifest_doc.h"
#include "bench/report.h"
#include "bench/teacher_reference.h"
#include "bench/temp_dir.h"
#include "runtime/base/atomic_file.h"

namespace kaizen::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- What each arm changes in the manifest as shipped (the budget aside) ----
// Keys the cycle does not know yet make `kaizen validate` refuse the arm: the
// run is skipped and says so (--drop-edits KEY measures without one).
struct Arm {
  std::string name;
  std::string what;
  std::vector<ManifestEdit> edits;
  int rounds = 1;  // cycles the budget is split over (follow-up rounds); each gets budget / rounds
};

const std::vector<Arm> kArms = {
    {"kaizen", "the cycle as shipped, serve-time deferral off",
     {{"spec.worker.defer.enabled", "false"}}},
    {"baseline", "the same cycle with random selection and no carve-out tricks",
     {{"spec.planning.selection_policy", "random"},
      {"spec.datagen.inputs_since", "start"},
      {"spec.training.refit", "false"},
      {"spec.worker.defer.enabled", "false"}}},
    {"rounds", "the cycle as shipped in two rounds of half the budget each (a follow-up round), deferral off",
     {{"spec.monitoring.follow_up.enabled", "true"},
      {"spec.monitoring.follow_up.max_rounds", "1"},
      {"spec.worker.defer.enabled", "false"}},
     2},
};

// The deferral pair: the kaizen arm at this budget, with deferral on; its
// twin with deferral off is the curve's kaizen run at the same budget.
constexpr int kDeferralBudget = 1000;
const std::vector<ManifestEdit> kDeferralOn = {{"spec.worker.defer.enabled", "true"}};

// Budgets are made to bind: no plan waits for `kaizen approve`, and money
// never runs out before calls do.
constexpr const char* kGenerousCost = "1000";

// ---------------------------------------------------------------------------

struct Options {
  std::string kaizen = KAIZEN_BINARY;
  std::string manifest = KAIZEN_SOURCE_DIR "/manifests/intent-router.yaml";
  std::vector<int> budgets = {250, 500, 1000, 2000};
  std::vector<std::string> arms = {"kaizen", "baseline", "rounds"};
  std::set<std::string> drop_edits;
  int rate = 0;  // 0: the manifest's
  int timeout_s = 900;
  bool curve = true, deferral = true, keep = false;
};

struct Run {
  std::string id;   // "kaizen-b500", the directory name
  std::string arm;  // "kaizen", "baseline", "deferral_on"
  int budget = 0;
  std::vector<ManifestEdit> edits;
  std::optional<ManifestDoc> manifest;  // as validated, before the run's gateway port
  Status status;  // refused, failed, or OK
  bool ran = false;
  RunFigures figures;
  double wall_seconds = 0;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

const Arm* FindArm(const std::string& name) {
  for (const auto& a : kArms) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string Num3(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

// Counts without decimals, the rest as Num3.
std::string Cell(const std::optional<double>& v) {
  if (v && *v >= 2 && *v == static_cast<double>(static_cast<int64_t>(*v)))
    return std::to_string(static_cast<int64_t>(*v));
  return Num3(v);
}

std::string EditsText(const std::vector<ManifestEdit>& edits) {
  std::string out;
  for (const auto& e : edits) out += (out.empty() ? "" : ", ") + e.key + ": " + e.value;
  return out.empty() ? "(none)" : out;
}

std::string JoinSet(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::vector<ManifestEdit> Dropped(std::vector<ManifestEdit> edits, const std::set<std::string>& drop) {
  std::erase_if(edits, [&](const ManifestEdit& e) { return drop.count(e.key) > 0; });
  return edits;
}

std::vector<ManifestEdit> BudgetEdits(const ManifestDoc& base, int budget) {
  int approve = budget;
  if (auto a = base.Scalar("spec.planning.auto_approve.max_teacher_calls"))
    approve = std::max(budget, std::atoi(a->c_str()));
  return {{"spec.planning.teacher_budget.max_calls", std::to_string(budget)},
          {"spec.planning.teacher_budget.max_cost", kGenerousCost},
          {"spec.planning.auto_approve.max_teacher_calls", std::to_string(approve)},
          {"spec.planning.auto_approve.max_cost", kGenerousCost}};
}

Options ParseOptions(int argc, char** argv, bool* ok) {
  Options o;
  *ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--keep") o.keep = true;
    else if (a == "--only-deferral") o.curve = false;
    else if (a == "--no-deferral") o.deferral = false;
    else if (a == "--quick") o.budgets = {500, 1000}, o.deferral = false;
    else if (a == "--json" && has_value) ++i;  // report.h reads it
    else if (a == "--kaizen" && has_value) o.kaizen = argv[++i];
    else if (a == "--manifest" && has_value) o.manifest = argv[++i];
    else if (a == "--rate" && has_value) o.rate = std::atoi(argv[++i]);
    else if (a == "--timeout" && has_value) o.timeout_s = std::atoi(argv[++i]);
    else if (a == "--arms" && has_value) o.arms = SplitComma(argv[++i]);
    else if (a == "--drop-edits" && has_value) {
      for (const auto& k : SplitComma(argv[++i])) o.drop_edits.insert(k);
    } else if (a == "--budgets" && has_value) {
      o.budgets.clear();
      for (const auto& b : SplitComma(argv[++i])) o.budgets.push_back(std::atoi(b.c_str()));
    } else {
      std::fprintf(stderr, "efficacy_bench: unknown or incomplete option %s\n", a.c_str());
      *ok = false;
    }
  }
  for (const auto& a : o.arms) {
    if (!FindArm(a)) {
      std::fprintf(stderr, "efficacy_bench: no arm '%s' (arms: kaizen, baseline, rounds)\n", a.c_str());
      *ok = false;
    }
  }
  for (int b : o.budgets) {
    if (b <= 0) {
      std::fprintf(stderr, "efficacy_bench: --budgets takes positive numbers of teacher calls\n");
      *ok = false;
    }
  }
  return o;
}

// The manifest every run starts from: data paths absolute (the copy lives in
// a temp dir), no metrics port (runs must not collide with a demo someone
// else is running), the rate if --rate.
Result<ManifestDoc> BaseManifest(const Options& o) {
  auto text = ReadWholeFile(o.manifest, 1 << 20);
  if (!text.ok()) return text.status().WithContext("reading the scenario manifest");
  auto doc = ManifestDoc::Parse(*text, o.manifest);
  if (!doc.ok()) return doc.status();
  doc->AbsoluteDataPaths(fs::absolute(o.manifest).parent_path().string());
  std::vector<ManifestEdit> env = {{"spec.runtime.metrics.port", "0"}};
  if (o.rate > 0) env.push_back({"spec.simulator.rate_per_s", std::to_string(o.rate)});
  if (Status s = doc->Apply(env); !s.ok()) return s;
  return doc;
}

std::vector<Run> PlanRuns(const Options& o, const ManifestDoc& base) {
  std::vector<Run> runs;
  auto add = [&](const std::string& id, const std::string& arm, int budget, std::vector<ManifestEdit> edits) {
    Run r;
    r.id = id;
    r.arm = arm;
    r.budget = budget;
    r.edits = std::move(edits);
    // The budget is the whole recovery's: a run in rounds gives each round its share.
    for (auto& e : BudgetEdits(base, budget / FindArm(arm == "deferral_on" ? "kaizen" : arm)->rounds))
      r.edits.push_back(std::move(e));
    runs.push_back(std::move(r));
  };
  auto arm_edits = [&](const std::string& arm) { return Dropped(FindArm(arm)->edits, o.drop_edits); };
  // Arms interleaved at each budget, so a machine getting busier hits both alike.
  if (o.curve) {
    for (int b : o.budgets) {
      for (const auto& arm : o.arms) add(arm + "-b" + std::to_string(b), arm, b, arm_edits(arm));
    }
  }
  if (o.deferral) {
    const bool have_off = o.curve && std::count(o.budgets.begin(), o.budgets.end(), kDeferralBudget) &&
                          std::count(o.arms.begin(), o.arms.end(), "kaizen");
    if (!have_off) add("kaizen-b" + std::to_string(kDeferralBudget), "kaizen", kDeferralBudget, arm_edits("kaizen"));
    std::vector<ManifestEdit> on = arm_edits("kaizen");
    for (const auto& e : kDeferralOn) on.push_back(e);  // later edits win
    add("defer-b" + std::to_string(kDeferralBudget), "deferral_on", kDeferralBudget, Dropped(on, o.drop_edits));
  }
  return runs;
}

const Run* Find(const std::vector<Run>& runs, const std::string& arm, int budget) {
  for (const auto& r : runs) {
    if (r.arm == arm && r.budget == budget && r.ran) return &r;
  }
  return nullptr;
}

std::optional<double> After(const Run* r) { return r ? r->figures.after : std::nullopt; }

json RunJson(const Run& r) {
  json j = {{"id", r.id}, {"arm", r.arm}, {"budget", r.budget}, {"edits", json::object()}, {"ran", r.ran}};
  for (const auto& e : r.edits) j["edits"][e.key] = e.value;
  if (!r.status.ok()) j["error"] = r.status.ToString();
  if (r.ran) {
    j["figures"] = r.figures.ToJson();
    j["wall_seconds"] = r.wall_seconds;
  }
  return j;
}

// "0.866" or "0.812*" (* not promoted: last tasks, after the cycle ended).
std::string AfterCell(const Run* r) {
  if (!r) return "-";
  return Num3(r->figures.after) + (r->figures.promoted ? " " : "*");
}

void PrintTable(const Options& o, const std::vector<Run>& runs, const std::optional<TeacherReference>& teacher,
                int64_t tasks_after_cycle) {
  std::fprintf(stderr, "\n");
  if (o.curve) {
    std::fprintf(stderr, "efficacy: accuracy on live traffic after the cycle, by teacher budget (max_calls)\n");
    std::fprintf(stderr, "%7s | %-14s | %-14s | %-6s | %-13s | %-9s | %s\n", "budget", "kaizen after", "baseline after",
                 "ratio", "calls k / b", "k/teacher", "cycles k / b");
    for (int b : o.budgets) {
      const Run* k = Find(runs, "kaizen", b);
      const Run* base = Find(runs, "baseline", b);
      std::string ratio = "-", vs_teacher = "-";
      if (After(k) && After(base) && *After(base) > 0) ratio = Num3(*After(k) / *After(base));
      if (After(k) && teacher) vs_teacher = Num3(*After(k) / teacher->label_accuracy);
      const std::string calls = (k ? std::to_string(k->figures.teacher_calls) : "-") + " / " +
                                (base ? std::to_string(base->figures.teacher_calls) : "-");
      const std::string cycles = (k ? k->figures.outcomes : "-") + " / " + (base ? base->figures.outcomes : "-");
      std::fprintf(stderr, "%7d | %-14s | %-14s | %-6s | %-13s | %-9s | %s\n", b, AfterCell(k).c_str(),
                   AfterCell(base).c_str(), ratio.c_str(), calls.c_str(), vs_teacher.c_str(), cycles.c_str());
    }
    std::fprintf(stderr, "  * not promoted: accuracy of the last %lld tasks, all sent after the cycle ended\n",
                 static_cast<long long>(tasks_after_cycle));
    for (int b : o.budgets) {
      const Run* r = Find(runs, "rounds", b);
      if (!r) continue;
      const Run* k = Find(runs, "kaizen", b);
      std::fprintf(stderr, "  in rounds: %d calls as up to 2 x %d: %s (%s; %lld calls, %s) vs one cycle %s\n", b, b / 2,
                   AfterCell(r).c_str(), r->figures.after_is.c_str(), static_cast<long long>(r->figures.teacher_calls),
                   r->figures.outcomes.c_str(), AfterCell(k).c_str());
    }
    for (int b : o.budgets) {
      const Run* k = Find(runs, "kaizen", b);
      const Run* base = Find(runs, "baseline", 2 * b);
      if (After(k) && After(base) && *After(base) > 0)
        std::fprintf(stderr, "  half budget: kaizen at %d %s vs baseline at %d %s: %s\n", b, Num3(After(k)).c_str(),
                     2 * b, Num3(After(base)).c_str(), Num3(*After(k) / *After(base)).c_str());
    }
  }
  if (teacher) {
    std::fprintf(stderr, "  teacher %s on the after-drift pool (%zu examples of %s): %.3f",
                 teacher->teacher.c_str(), teacher->test_examples, teacher->test_splits.c_str(),
                 teacher->label_accuracy);
    if (teacher->noise > 0) std::fprintf(stderr, " (model %.3f, noise %.2f)", teacher->model_accuracy, teacher->noise);
    if (teacher->worker_accuracy) std::fprintf(stderr, "; the worker's v1 there: %.3f", *teacher->worker_accuracy);
    std::fprintf(stderr, "\n");
  }
  const Run* on = Find(runs, "deferral_on", kDeferralBudget);
  const Run* off = Find(runs, "kaizen", kDeferralBudget);
  if (o.deferral) {
    const std::string title = "deferral at max_calls " + std::to_string(kDeferralBudget);
    std::fprintf(stderr, "\n%-47s | %-8s | %s\n", title.c_str(), "on", "off");
    auto row = [&](const std::string& name, std::optional<double> a, std::optional<double> b) {
      std::fprintf(stderr, "  %-45s | %-8s | %s\n", name.c_str(), Cell(a).c_str(), Cell(b).c_str());
    };
    auto field = [](const Run* r, const std::string& f) -> std::optional<double> {
      return r ? r->figures.deferral.at(f) : std::nullopt;
    };
    row(std::string(on && !on->figures.promoted ? "after the cycle (not promoted)" : "after promotion") +
            " (deferring)",
        After(on), After(off));
    for (const auto& f : kDeferralFields) row(f, field(on, f), field(off, f));
    row("teacher calls of the cycle", on ? std::optional<double>(on->figures.teacher_calls) : std::nullopt,
        off ? std::optional<double>(off->figures.teacher_calls) : std::nullopt);
  }
  std::fprintf(stderr, "\n");
}

std::string DeferralUnit(const std::string& field) {
  if (field.find("share") != std::string::npos) return "share";
  if (field.find("accuracy") != std::string::npos) return "accuracy";
  if (field.find("cost") != std::string::npos) return "$";
  return "tasks";
}

void AddFigures(Report& report, const Options& o, const std::vector<Run>& runs,
                const std::optional<TeacherReference>& teacher) {
  const std::string baseline_what =
      FindArm("baseline")->what + " (" + EditsText(Dropped(FindArm("baseline")->edits, o.drop_edits)) + ")" +
      (o.drop_edits.empty() ? "" : "; --drop-edits left out the arms' " + std::string(JoinSet(o.drop_edits)));
  const double teacher_acc = teacher ? teacher->label_accuracy : 0;
  for (int b : o.curve ? o.budgets : std::vector<int>{}) {
    const std::string B = "b" + std::to_string(b);
    const Run* k = Find(runs, "kaizen", b);
    const Run* base = Find(runs, "baseline", b);
    if (After(k)) {
      if (After(base))  // the ratio the curve is about; without the baseline arm only vs_teacher
        report.Add({"efficacy.kaizen." + B + ".after_promotion", *After(k), "accuracy", *After(base),
                    "baseline arm at the same budget: " + baseline_what + "; value: kaizen arm, " +
                        k->figures.after_is,
                    "", {{"kaizen", k->figures.ToJson()}, {"baseline", base->figures.ToJson()}}});
      if (teacher)
        report.Add({"efficacy.kaizen." + B + ".vs_teacher", *After(k), "accuracy", teacher_acc,
                    "the teacher's own accuracy on the after-drift pool; value: kaizen arm, " + k->figures.after_is,
                    ""});
    }
    if (After(base))
      report.Add({"efficacy.baseline." + B + ".after_promotion", *After(base), "accuracy", teacher_acc,
                  "the teacher's own accuracy on the after-drift pool; value: baseline arm, " + base->figures.after_is,
                  ""});
    for (const Run* r : {k, base}) {
      if (r)
        report.Add({"efficacy." + r->arm + "." + B + ".teacher_calls", static_cast<double>(r->figures.teacher_calls),
                    "calls", static_cast<double>(b), "the budget (spec.planning.teacher_budget.max_calls)", ""});
    }
    if (const Run* r = Find(runs, "rounds", b); After(r)) {
      if (After(k))
        report.Add({"efficacy.rounds." + B + ".after_promotion", *After(r), "accuracy", *After(k),
                    "kaizen arm, one cycle of " + std::to_string(b) + " calls; value: the same budget in rounds of " +
                        std::to_string(b / 2) + " (" + EditsText(Dropped(FindArm("rounds")->edits, o.drop_edits)) +
                        "), " + r->figures.after_is,
                    "", {{"rounds", r->figures.ToJson()}, {"kaizen", k->figures.ToJson()}}});
      if (teacher)
        report.Add({"efficacy.rounds." + B + ".vs_teacher", *After(r), "accuracy", teacher_acc,
                    "the teacher's own accuracy on the after-drift pool; value: rounds arm, " + r->figures.after_is,
                    ""});
      report.Add({"efficacy.rounds." + B + ".teacher_calls", static_cast<double>(r->figures.teacher_calls), "calls",
                  static_cast<double>(b), "the budget of the whole recovery (both rounds)", ""});
    }
    // Issue 15: the recovery the baseline reaches with N calls, for N/2.
    const Run* half = Find(runs, "kaizen", b / 2);
    if (b % 2 == 0 && After(half) && After(base))
      report.Add({"efficacy.half_budget." + B, *After(half), "accuracy", *After(base),
                  "baseline arm with " + std::to_string(b) + " teacher calls; value: kaizen arm with " +
                      std::to_string(b / 2),
                  "ratio >= 1"});
  }
  if (teacher) {
    // The floor every cycle starts from: v1 on the same pool, else the runs'
    // after-drift accuracy (a few dozen tasks each, before the trigger).
    std::vector<double> drifted;
    for (const auto& r : runs) {
      // Deferral runs serve some after-drift tasks with the teacher: not the worker alone.
      if (r.ran && r.arm != "deferral_on" && r.figures.after_drift) drifted.push_back(*r.figures.after_drift);
    }
    std::sort(drifted.begin(), drifted.end());
    const double worker_floor = teacher->worker_accuracy ? *teacher->worker_accuracy
                         : drifted.empty()        ? 0
                                                  : drifted[drifted.size() / 2];
    report.Add({"efficacy.teacher.accuracy", teacher->label_accuracy, "accuracy", worker_floor,
                teacher->worker_accuracy
                    ? "the worker's v1 (trained as the worker trains it) on the same pool; value: the teacher trained "
                      "as datagen trains it, on every example of the simulator's after-drift pool"
                    : "the worker after the drift, before any cycle (median over the runs); value: the teacher "
                      "trained as datagen trains it, on every example of the simulator's after-drift pool",
                "", teacher->ToJson()});
  }
  const Run* on = Find(runs, "deferral_on", kDeferralBudget);
  const Run* off = Find(runs, "kaizen", kDeferralBudget);
  if (on) {
    const std::string what = "the same run with deferral off (spec.worker.defer.enabled: false)";
    if (After(on))
      report.Add({"efficacy.deferral.after_promotion", *After(on), "accuracy", After(off).value_or(0),
                  what + "; value: deferral on, " + on->figures.after_is, ""});
    for (const auto& f : kDeferralFields) {
      const auto v = on->figures.deferral.at(f);
      if (!v) continue;
      const bool off_has = off && off->figures.deferral.at(f).has_value();
      const double off_value = off_has ? *off->figures.deferral.at(f) : 0.0;
      report.Add({"efficacy.deferral." + f, *v, DeferralUnit(f), off_value, what + (off_has ? "" : " (n/a there: 0)"),
                  ""});
    }
  }
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  using kaizen::Status;
  bool ok = true;
  const Options o = ParseOptions(argc, argv, &ok);
  if (!ok) return 2;
  auto base = BaseManifest(o);
  if (!base.ok()) {
    std::fprintf(stderr, "efficacy_bench: %s\n", base.status().ToString().c_str());
    return 2;
  }
  const int64_t tasks_after_cycle =
      std::atoll(base->Scalar("spec.simulator.tasks_after_cycle").value_or("2000").c_str());
  const int rate = std::atoi(base->Scalar("spec.simulator.rate_per_s").value_or("0").c_str());
  const int64_t total = std::atoll(base->Scalar("spec.simulator.total_tasks").value_or("0").c_str());

  TempDir dir("kzeff");
  // One binary for every run, even if the build replaces it meanwhile.
  const std::string kaizen = dir.path() + "/kaizen";
  std::error_code ec;
  fs::copy_file(o.kaizen, kaizen, ec);
  if (ec) {
    std::fprintf(stderr, "efficacy_bench: cannot copy %s: %s (build it, or give --kaizen)\n", o.kaizen.c_str(),
                 ec.message().c_str());
    return 1;
  }

  std::vector<Run> runs = PlanRuns(o, *base);
  // Every manifest checked before the first run: a key the cycle does not
  // know yet is reported now, not after twenty minutes.
  for (auto& r : runs) {
    ManifestDoc doc = base->Clone();
    if (Status s = doc.Apply(r.edits); !s.ok()) {
      r.status = s;
      continue;
    }
    r.manifest = doc;
    fs::create_directories(dir.path() + "/" + r.id, ec);
    const std::string path = dir.path() + "/" + r.id + "/check.yaml";
    if (Status w = kaizen::WriteFileAtomically(path, doc.Text()); !w.ok()) {
      r.status = w;
      continue;
    }
    r.status = ValidateManifest(kaizen, path, dir.path() + "/" + r.id);
    if (!r.status.ok())
      std::fprintf(stderr, "efficacy_bench: %s skipped: %s\n  (the arm's keys land with the cycle changes: rebuild "
                           "kaizen; or measure without a key: --drop-edits KEY)\n",
                   r.id.c_str(), r.status.message().c_str());
  }
  const auto runnable = std::count_if(runs.begin(), runs.end(), [](const Run& r) { return r.status.ok(); });
  // total_tasks at the rate, plus start and stop; more when a cycle ends late (tasks_after_cycle).
  const double per_run_s = rate > 0 ? static_cast<double>(total) / rate + 5 : 0;
  std::fprintf(stderr, "efficacy_bench: %zu runs (%lld runnable) at %d tasks/s%s, ~%.0f s each: about %.0f min\n",
               runs.size(), static_cast<long long>(runnable), rate,
               o.rate > 0 ? " (raised by --rate)" : " (the manifest's rate)", per_run_s,
               per_run_s * static_cast<double>(runnable) / 60);

  std::optional<TeacherReference> teacher;
  if (auto t = MeasureTeacher(*base); t.ok()) {
    teacher = *t;
    std::fprintf(stderr,
                 "efficacy_bench: teacher %s: %.3f on %zu after-drift examples (trained on %zu in %.1f s); "
                 "the worker's v1: %s\n",
                 t->teacher.c_str(), t->label_accuracy, t->test_examples, t->train_examples, t->train_seconds,
                 Num3(t->worker_accuracy).c_str());
  } else {
    std::fprintf(stderr, "efficacy_bench: no teacher reference: %s\n", t.status().ToString().c_str());
  }

  const auto started = std::chrono::steady_clock::now();
  int n = 0;
  for (auto& r : runs) {
    ++n;
    if (!r.status.ok()) continue;
    ManifestDoc& doc = *r.manifest;
    if (doc.At("spec.gateway").IsDefined())  // a port of its own, not the demo's 8080
      r.status = doc.Set({"spec.gateway.listen", "127.0.0.1:" + std::to_string(FreeLocalPort())});
    auto run = r.status.ok() ? RunScenario(kaizen, dir.path() + "/" + r.id, doc.Text(), o.timeout_s)
                             : kaizen::Result<ScenarioRun>(r.status);
    if (!run.ok()) {
      r.status = run.status();
      std::fprintf(stderr, "efficacy_bench: [%d/%zu] %s FAILED: %s\n", n, runs.size(), r.id.c_str(),
                   r.status.ToString().c_str());
      continue;
    }
    r.ran = true;
    r.wall_seconds = run->wall_seconds;
    r.figures = ReadRunFigures(run->summary, tasks_after_cycle);
    const std::string over =
        r.figures.after_tasks ? " (" + std::to_string(*r.figures.after_tasks) + " answers)" : std::string();
    std::fprintf(stderr, "efficacy_bench: [%d/%zu] %s: %s %s%s, %lld teacher calls, cycles: %s; %.0f s\n", n,
                 runs.size(), r.id.c_str(), Num3(r.figures.after).c_str(), r.figures.after_is.c_str(), over.c_str(),
                 static_cast<long long>(r.figures.teacher_calls), r.figures.outcomes.c_str(), r.wall_seconds);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  PrintTable(o, runs, teacher, tasks_after_cycle);
  Report report("efficacy");
  AddFigures(report, o, runs, teacher);
  json arms = json::object();
  for (const auto& a : kArms) {
    json edits = json::object();
    for (const auto& e : Dropped(a.edits, o.drop_edits)) edits[e.key] = e.value;
    arms[a.name] = {{"what", a.what}, {"edits", edits}};
  }
  json run_list = json::array();
  for (const auto& r : runs) run_list.push_back(RunJson(r));
  report.Set("settings", {{"manifest", o.manifest},
                          {"kaizen", o.kaizen},
                          {"rate_per_s", rate},
                          {"rate_raised", o.rate > 0},
                          {"budgets", o.budgets},
                          {"arms", arms},
                          {"dropped_edits", o.drop_edits},
                          {"deferral_budget", kDeferralBudget},
                          {"deferral_on", EditsText(kDeferralOn)},
                          {"tasks_after_cycle", tasks_after_cycle},
                          {"seconds", seconds}});
  if (teacher) report.Set("teacher", teacher->ToJson());
  report.Set("runs", run_list);
  std::fprintf(stderr, "efficacy_bench: %.0f s of runs\n", seconds);

  if (o.keep) {
    const std::string keep = dir.path() + "-kept";
    fs::rename(dir.path(), keep, ec);
    std::fprintf(stderr, "efficacy_bench: kept %s (each run's manifest, summary, log and state dir)\n", keep.c_str());
  }
  const bool written = report.WriteJson(JsonPathArg(argc, argv));
  if (!written) std::fprintf(stderr, "efficacy_bench: cannot write %s\n", JsonPathArg(argc, argv).c_str());
  const bool all_ran = std::all_of(runs.begin(), runs.end(), [](const Run& r) { return r.ran; });
  return written && all_ran ? 0 : 1;
}
