// Candidate inputs for a teacher, and the policies that pick which ones to buy
// labels for. Pure: the datagen agent feeds journal events in and gets an
// ordered selection out, so every policy is unit-tested.
//
// Policies (docs/cycle-agents-data.md):
//   failures_first             thumbs-down (most recent first), then low
//                              confidence (lowest first), then the rest; each
//                              tier round-robin across categories (the focus
//                              dimension, "domain" by default; focus first) so
//                              one category cannot eat the budget.
//   low_confidence_stratified  lowest confidence first, round-robin across
//                              predicted labels.
//   random                     a seeded shuffle; also what an unknown policy
//                              falls back to.
// With corrections_first (teacher_samples), inputs that carry a correction come
// before any policy's order (most recent first, round-robin across categories):
// a known failure with a known answer, labeled without a teacher call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "task.pb.h"

namespace kaizen::agents {

struct Candidate {
  std::string task_id;
  std::string text;
  std::string predicted;     // the worker's answer
  double confidence = 1.0;
  std::map<std::string, std::string> tags;
  uint64_t seq = 0;          // journal seq of the result; larger is more recent
  bool thumbs_down = false;  // a thumbs-down or a correction
  bool thumbs_up = false;
  bool has_result = false;
  // The latest correction (a thumbs-down carrying the right answer), trimmed;
  // "" when none. Who gave it (Feedback.source) and its journal seq.
  std::string correction;
  std::string correction_source;
  uint64_t correction_seq = 0;
};

// A correction longer than this is not kept (the thumbs-down still counts): a
// stray paste must not become a dataset row. Room for a free-text reply.
inline constexpr std::size_t kMaxCorrectionBytes = 8192;
// A longer source is cut to this.
inline constexpr std::size_t kMaxCorrectionSourceBytes = 200;

// Lowercase ASCII, trimmed, inner whitespace runs collapsed to one space.
std::string NormalizeText(std::string_view text);

// Joins task results and feedback by task id; events may come in any order.
// Per task it keeps one result (the latest) and one correction (the latest by
// seq, with its source), so it grows with the tasks and nothing else.
class CandidatePool {
 public:
  void AddResult(const v1::TaskResult& result, uint64_t seq);
  void AddFeedback(const v1::Feedback& feedback, uint64_t seq);

  // Tasks answered without error that have input text. With dedupe, one per
  // normalized text: thumbs-down if any copy got one, the lowest confidence,
  // the most recent seq, and the latest correction of any copy.
  std::vector<Candidate> Candidates(bool dedupe) const;
  std::size_t tasks() const { return by_task_.size(); }

 private:
  std::unordered_map<std::string, Candidate> by_task_;
};

struct SelectionOptions {
  std::string policy = "failures_first";
  std::vector<std::string> focus;  // "dimension=value", e.g. "domain=travel"
  std::size_t limit = 0;           // rows wanted
  uint64_t seed = 1;               // random policy
  double low_confidence = 0.5;     // below this a candidate is "low_confidence"
  // Corrected candidates first (up to limit), then the policy's order for the
  // rest, of which at most teacher_limit (each costs a teacher call).
  bool corrections_first = false;
  std::size_t teacher_limit = static_cast<std::size_t>(-1);
};

struct SelectedCandidate {
  Candidate candidate;
  std::string selected_by;  // correction (with corrections_first), thumbs_down, low_confidence, fill
};

struct Selection {
  std::string policy;  // the policy applied: the requested one, or random when it is unknown
  std::vector<SelectedCandidate> rows;
  std::map<std::string, int64_t> counts;  // by selected_by
};

class CandidateSelector {
 public:
  explicit CandidateSelector(SelectionOptions options) : options_(std::move(options)) {}

  static bool KnownPolicy(const std::string& policy);
  // What the selector most wants: a thumbs-down or a low confidence answer.
  bool Qualifies(const Candidate& c) const;
  std::size_t CountQualifying(const std::vector<Candidate>& candidates) const;
  static std::size_t CountCorrected(const std::vector<Candidate>& candidates);
  Selection Select(std::vector<Candidate> candidates) const;

 private:
  std::string ReasonOf(const Candidate& c) const;
  SelectionOptions options_;
};

}  // namespace kaizen::agents
