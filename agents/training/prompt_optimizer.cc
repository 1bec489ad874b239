#include "agents/training/prompt_optimizer.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <spdlog/fmt/fmt.h>

#include "agents/training/few_shot_selection.h"
#include "runtime/base/text.h"

namespace kaizen::agents {
namespace {

using models::Example;
using json = nlohmann::json;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Scored {
  CandidateScore score;
  std::vector<std::string> wrong_labels;  // truth labels of the rows it got wrong, one per row
};

// Scores `draft` on `rows` with up to `concurrency` calls in flight.
Scored Score(const PromptDraft& draft, const std::vector<Example>& rows, int concurrency,
             const PromptSearchHooks& hooks, std::atomic<int>& calls) {
  std::vector<double> grades(rows.size(), 0.0);
  std::vector<char> failed(rows.size(), 0);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < rows.size();) {
      auto a = hooks.classify(draft, rows[i].text);
      calls.fetch_add(1);
      if (!a.ok()) {
        failed[i] = 1;
        continue;
      }
      if (hooks.grade) {
        auto g = hooks.grade(rows[i], *a);
        grades[i] = g.ok() ? std::clamp(*g, 0.0, 1.0) : 0.0;
        if (!g.ok()) failed[i] = 1;
      } else {
        grades[i] = Lower(Trim(*a)) == Lower(Trim(rows[i].label)) ? 1.0 : 0.0;
      }
    }
  };
  const int n = std::max(1, std::min<int>(concurrency, static_cast<int>(rows.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  Scored s;
  s.score.origin = draft.origin;
  s.score.rows = static_cast<int>(rows.size());
  double sum = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (failed[i]) ++s.score.errors;
    sum += grades[i];
    if (grades[i] >= 0.5) {
      ++s.score.correct;
    } else {
      s.wrong_labels.push_back(rows[i].label);
    }
  }
  s.score.score = rows.empty() ? 0.0 : sum / static_cast<double>(rows.size());
  return s;
}

// Labels by how often the candidate got them wrong, most first.
std::vector<std::string> FailingLabels(const std::vector<std::string>& wrong) {
  std::map<std::string, int> count;
  for (const auto& l : wrong) ++count[l];
  std::vector<std::string> out;
  for (const auto& [l, n] : count) out.push_back(l);
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return count[a] > count[b]; });
  return out;
}

}  // namespace

std::string RewriteRequest(const PromptDraft& current, const std::vector<PromptFailure>& failures, int attempt) {
  std::string s;
  if (current.free_text) {
    s = "You improve the system prompt of an assistant that answers user messages.\n\nCurrent instructions:\n<<<\n" +
        current.instructions + "\n>>>\n\nMessages it answers badly, with a good answer:\n";
  } else {
    s = "You improve the system prompt of an assistant that classifies user messages. It must answer with exactly "
        "one label from the allowed list and nothing else.\n\nCurrent instructions:\n<<<\n" +
        current.instructions + "\n>>>\n\nAllowed labels: ";
    for (std::size_t i = 0; i < current.labels.size(); ++i) s += (i ? ", " : "") + current.labels[i];
    s += "\n\nMessages it gets wrong, with the correct label:\n";
  }
  for (const auto& f : failures) {
    s += "- \"" + f.text + "\" -> " + f.expected;
    if (!f.answered.empty()) s += " (it answered " + f.answered + ")";
    s += "\n";
  }
  s += fmt::format(
      "\nWrite improved instructions (variant {}) that say how to handle messages like these{}. Reply with the new "
      "instructions only.",
      attempt, current.free_text ? "" : ", describing when each label applies");
  return s;
}

std::string InstructionsFromReply(const std::string& reply) {
  std::string s = Trim(reply);
  if (s.rfind("```", 0) == 0) {
    auto first_nl = s.find('\n');
    auto close = s.rfind("```");
    s = (first_nl == std::string::npos || close <= first_nl) ? "" : s.substr(first_nl + 1, close - first_nl - 1);
    s = Trim(s);
  }
  for (const char* head : {"Instructions:", "New instructions:", "Improved instructions:"}) {
    if (s.rfind(head, 0) == 0) s = Trim(s.substr(std::string(head).size()));
  }
  if (s.rfind("<<<", 0) == 0) s = s.substr(3);
  if (s.size() >= 3 && s.compare(s.size() - 3, 3, ">>>") == 0) s.resize(s.size() - 3);
  return Trim(s);
}

CandidateScore ScoreDraft(const PromptDraft& draft, const std::vector<Example>& rows, int concurrency,
                          const PromptSearchHooks& hooks, std::atomic<int>& calls) {
  return Score(draft, rows, concurrency, hooks, calls).score;
}

Result<PromptSearchResult> SearchPrompt(const PromptDraft& baseline_in, const std::vector<Example>& train,
                                        const std::vector<Example>& validation_in, const PromptSearchOptions& o,
                                        const PromptSearchHooks& hooks) {
  if (!hooks.classify) return Status::InvalidArgument("the prompt search has no worker to score with");
  if (validation_in.empty()) {
    return Status::InvalidArgument("the dataset has no validation rows to score prompt candidates on");
  }
  // At most max_validation_rows, a seeded sample when there are more.
  std::vector<Example> validation = validation_in;
  if (o.max_validation_rows > 0 && validation.size() > static_cast<std::size_t>(o.max_validation_rows)) {
    std::mt19937_64 rng(o.seed);
    std::shuffle(validation.begin(), validation.end(), rng);
    validation.resize(static_cast<std::size_t>(o.max_validation_rows));
  }

  // A drift brings labels the incumbent's list lacks, and no prompt can be
  // right without them: every later candidate lists them.
  PromptDraft baseline = baseline_in;
  baseline.origin = "baseline (incumbent prompt)";
  PromptDraft labeled = baseline;
  std::set<std::string> known(labeled.labels.begin(), labeled.labels.end());
  std::vector<std::string> added;
  for (const auto& e : baseline.free_text ? std::vector<Example>{} : train) {
    if (!e.label.empty() && known.insert(e.label).second) {
      labeled.labels.push_back(e.label);
      added.push_back(e.label);
    }
  }
  labeled.origin = fmt::format("incumbent prompt + {} new labels", added.size());

  PromptSearchResult result;
  const int rewrites = hooks.rewrite ? o.rewrites : 0;
  const int total = 1 + (added.empty() ? 0 : 1) + o.few_shot_sets + rewrites;
  std::atomic<int> calls{0};
  int done = 0;
  Scored best;
  bool improved = false;  // a candidate beat the baseline (else later ones start from `baseline`)
  auto report = [&](const Scored& s) {
    ++done;
    result.candidates.push_back(s.score);
    if (hooks.progress) {
      hooks.progress(static_cast<double>(done) / total,
                     fmt::format("candidate {}/{}: {}: {:.3f} ({}/{})", done, total, s.score.origin, s.score.score,
                                 s.score.correct, s.score.rows),
                     json{{"score", s.score.score}, {"best", std::max(s.score.score, best.score.score)}});
    }
  };
  // Within the bounds as it is, or with its last examples dropped; false
  // (noted, counted) when neither. *as_is: within without a change.
  auto fit = [&](PromptDraft& draft, bool* as_is) -> bool {
    *as_is = true;
    if (!hooks.out_of_bounds) return true;
    const std::string why = hooks.out_of_bounds(draft);
    if (why.empty()) return true;
    *as_is = false;
    // The largest prefix of its examples that is within: examples come in
    // the order they were wanted (current ones, then failing labels first).
    const std::vector<Example> all = draft.examples;
    auto within = [&](std::size_t n) {
      draft.examples.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
      return hooks.out_of_bounds(draft).empty();
    };
    std::size_t lo = 0, hi = all.size();  // find the largest n < hi that is within
    bool any = false;
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (within(mid)) {
        any = true;
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const std::size_t keep = lo == 0 ? 0 : lo - 1;
    ++result.out_of_bounds;
    if (!any || keep == 0 || !within(keep)) {
      draft.examples = all;
      result.notes.push_back(fmt::format("{}: skipped, outside the bounds: {}", draft.origin, why));
      return false;
    }
    result.notes.push_back(fmt::format("{}: {} of its {} examples kept to stay within the bounds ({})", draft.origin,
                                       keep, all.size(), why));
    draft.origin += fmt::format(" (fitted to the bounds: {} of {} examples)", keep, all.size());
    return true;
  };
  // Scores `draft` (fitted to the bounds); true when it was within them as it was.
  auto consider = [&](PromptDraft draft) -> bool {
    bool as_is = true;
    if (!fit(draft, &as_is)) {
      ++done;
      return false;
    }
    Scored s = Score(draft, validation, o.concurrency, hooks, calls);
    report(s);
    if (s.score.score > best.score.score) {
      best = std::move(s);
      result.best = std::move(draft);
      improved = true;
    }
    return as_is;
  };

  best = Score(baseline, validation, o.concurrency, hooks, calls);
  result.best = baseline;
  result.baseline = best.score;
  report(best);
  const std::vector<std::string> failing = FailingLabels(best.wrong_labels);
  if (!added.empty()) {
    // Scored on its own, so the gain of the labels alone is seen; later
    // candidates build on it even when it alone scores no better (unless it
    // is outside the bounds).
    if (consider(labeled)) baseline = labeled;
  }

  // Few-shot sets from the train rows, failing labels first.
  for (int k = 0; k < o.few_shot_sets; ++k) {
    PromptDraft d = baseline;
    if (k == 0) {
      d.examples = ExtendToCover(baseline.examples, train, failing, static_cast<std::size_t>(o.shots), o.seed);
      d.origin = fmt::format("{} current examples + examples of uncovered labels (failing first)",
                             std::min<std::size_t>(baseline.examples.size(), static_cast<std::size_t>(o.shots)));
    } else {
      d.examples = CoverLabels(train, failing, static_cast<std::size_t>(o.shots), o.seed + static_cast<uint64_t>(k));
      d.origin = fmt::format("few-shot set {}: {} examples covering labels, failing first", k + 1, d.examples.size());
    }
    consider(std::move(d));
  }

  // Instructions rewritten by the teacher from the best candidate's failures.
  for (int r = 1; r <= rewrites; ++r) {
    const std::vector<std::string> now_failing = FailingLabels(best.wrong_labels);
    std::vector<PromptFailure> shown;
    for (const auto& e : CoverLabels(train, now_failing, static_cast<std::size_t>(o.max_failures_shown),
                                     o.seed + 100 + static_cast<uint64_t>(r))) {
      // Train rows only: validation rows never leave the scoring.
      if (std::find(now_failing.begin(), now_failing.end(), e.label) != now_failing.end() || now_failing.empty()) {
        shown.push_back({e.text, e.label, ""});
      }
    }
    if (shown.empty()) {
      for (const auto& e : CoverLabels(train, {}, static_cast<std::size_t>(o.max_failures_shown), o.seed)) {
        shown.push_back({e.text, e.label, ""});
      }
    }
    const PromptDraft from = improved ? result.best : baseline;
    auto reply = hooks.rewrite(RewriteRequest(from, shown, r));
    ++result.teacher_calls;
    std::string text = reply.ok() ? InstructionsFromReply(*reply) : "";
    if (text.empty()) {
      result.notes.push_back(fmt::format("rewrite {}: {}", r,
                                         reply.ok() ? "the teacher's reply had no instructions"
                                                    : "the teacher failed: " + reply.status().message()));
      ++done;
      continue;
    }
    PromptDraft d = from;
    d.instructions = text;
    d.origin = fmt::format("rewrite {} of the instructions by the teacher, with the best examples", r);
    consider(std::move(d));
  }
  result.best_score = best.score;
  result.worker_calls = calls.load();
  return result;
}

}  // namespace kaizen::agents
