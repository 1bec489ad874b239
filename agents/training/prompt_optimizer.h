// The prompt trainer's search: better instructions and few-shot examples for
// an LLM worker, scored on the cycle's validation rows.
//
//   1. The baseline (the incumbent's prompt as it is) is scored; its failures
//      are noted. When the dataset has labels the prompt does not list, the
//      incumbent prompt with those labels added is the next candidate, and
//      every later candidate lists them.
//   2. few_shot_sets candidates with the incumbent's instructions and examples
//      chosen from the dataset's train rows: the current examples extended to
//      cover every label (failing labels first), then fresh label-covering
//      sets with other seeds. The best so far is kept.
//   3. rewrites candidates with the best examples and instructions rewritten
//      by the teacher from the failures (RewriteRequest). The best is kept.
// A candidate replaces the best only with a strictly higher score, so the
// result is never worse than the baseline on these rows. Validation rows are
// never used as examples.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/example.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

// What the search varies; the rest of the model (base model, temperature,
// endpoint) is carried over unchanged by the caller.
struct PromptDraft {
  std::string instructions;              // the system prompt
  std::vector<models::Example> examples;  // few-shot (input, label) pairs
  std::vector<std::string> labels;       // the labels the worker may answer (empty for free text)
  bool free_text = false;                // answers are free text, graded by the grade hook
  std::string origin;                    // how it was made, e.g. "rewrite 1 by teacher gpt-judge"
};

struct PromptSearchOptions {
  int rewrites = 2;
  int few_shot_sets = 2;
  int shots = 8;
  int max_validation_rows = 200;
  int max_failures_shown = 20;
  int concurrency = 4;  // worker calls in flight while scoring
  uint64_t seed = 1;
};

struct PromptSearchHooks {
  // The worker's answer (a label) for `text` under `draft`. Called from up to
  // `concurrency` threads at once. An error counts as a wrong answer.
  std::function<Result<std::string>(const PromptDraft& draft, const std::string& text)> classify;
  // How good `answer` is for the row, in [0, 1] (e.g. an LLM judge for free
  // text); called from the scoring threads too. Unset: 1 when it equals the
  // row's label (case and surrounding space ignored), else 0. An error counts 0.
  std::function<Result<double>(const models::Example& row, const std::string& answer)> grade;
  // The teacher's reply to a rewrite request (the new instructions). May be
  // empty when there is no teacher: then no rewrites are tried.
  std::function<Result<std::string>(const std::string& request)> rewrite;
  // Why `draft` is outside the prompt change bounds (spec.planning.bounds),
  // "" when it is within. Unset: no bounds. A candidate outside is fitted
  // (its last examples, the least wanted, dropped while that brings it
  // within; noted) or else skipped unscored (noted). The baseline is not
  // checked.
  std::function<std::string(const PromptDraft& draft)> out_of_bounds;
  // After each scored candidate: fraction done, a message, numbers.
  std::function<void(double fraction, const std::string& message, const nlohmann::json& values)> progress;
};

struct CandidateScore {
  std::string origin;
  double score = 0;  // mean grade on the scored validation rows: the accuracy for labels
  int correct = 0;   // rows graded 0.5 or more
  int rows = 0, errors = 0;
};

struct PromptSearchResult {
  PromptDraft best;
  CandidateScore baseline, best_score;
  std::vector<CandidateScore> candidates;  // baseline first, in the order tried
  int worker_calls = 0, teacher_calls = 0;
  std::vector<std::string> notes;          // e.g. a rewrite the teacher could not give
  int out_of_bounds = 0;                   // candidates the bounds cut (fitted) or skipped
};

// Fails only when there is nothing to score on (no validation rows) or no
// classify hook; a failing teacher skips that rewrite (noted).
Result<PromptSearchResult> SearchPrompt(const PromptDraft& baseline, const std::vector<models::Example>& train,
                                        const std::vector<models::Example>& validation,
                                        const PromptSearchOptions& options, const PromptSearchHooks& hooks);

// Scores one draft on `rows` as the search scores each candidate: up to
// `concurrency` hooks.classify calls in flight, graded by hooks.grade (or
// the label, case and surrounding space ignored); `calls` counts the calls.
CandidateScore ScoreDraft(const PromptDraft& draft, const std::vector<models::Example>& rows, int concurrency,
                          const PromptSearchHooks& hooks, std::atomic<int>& calls);

// A failure shown to the teacher.
struct PromptFailure {
  std::string text, expected, answered;
};

// The message asking the teacher for better instructions.
std::string RewriteRequest(const PromptDraft& current, const std::vector<PromptFailure>& failures, int attempt);

// The instructions in a teacher's reply: trimmed, without a code fence or an
// "Instructions:" heading around them. Empty when there are none.
std::string InstructionsFromReply(const std::string& reply);

}  // namespace kaizen::agents
