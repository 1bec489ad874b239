// Lessons: what the `reflection` strategy learns from a cycle's failures. A
// critic model reads the failures of one diagnosed category and writes short
// lessons, each citing the task ids it came from; they are merged into the
// memory the worker already has, bounded so the prompt stays small, and stored
// as a versioned memory artifact. At serving time the worker retrieves the
// lessons relevant to an input and puts them in its prompt.
// Pure logic: the caller calls the critic, reads and writes the artifact and
// passes in the time.
//
// Critic reply (JSON, possibly in prose or a ```json fence; the first balanced
// {...} that parses as an object is read):
//   {"lessons": [{"lesson": "Refunds over 30 days go to billing_dispute.",
//                 "tasks": ["t-12", "t-40"]}, ...]}
// Task ids may be strings or integers. A lesson is refused, with the reason,
// when its text is empty, longer than max_lesson_tokens, or it cites no task
// (none at all, or, when the caller names the failures' ids, none of those).
//
// Memory file (JSON, UTF-8):
//   {"format": "kaizen.lessons/v1",
//    "lessons": [{"text": "...", "task_ids": ["t-12"], "category": "refunds",
//                 "created_ms": 1700000000000}],
//    "provenance": {...}}          // free JSON object: cycle, critic model, ...
// Unknown keys are ignored; a wrong format or a bad field is Corruption naming
// the field ("lessons[2].task_ids[0]: not a string").
//
// Tokens here are whitespace-separated words, as the project's test server
// counts them: a cheap, stable stand-in for a tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/memory/text_similarity.h"
#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::memory {

struct Lesson {
  std::string text;
  std::vector<std::string> task_ids;  // the failures it was learnt from, first-seen order
  std::string category;               // the diagnosed category
  int64_t created_ms = 0;
};

struct LessonBounds {
  int max_lessons = 20;        // lessons in the memory
  int max_tokens = 400;        // tokens of all lessons together
  int max_lesson_tokens = 60;  // tokens of one lesson
};
// Each bound must be at least 1.
Status ValidateLessonBounds(const LessonBounds& bounds);

// Whitespace-separated words of `text`.
int CountTokens(std::string_view text);

// A lesson the critic wrote that is not kept, and why.
struct RefusedLesson {
  std::string text;    // as the critic wrote it (cut to 200 bytes)
  std::string reason;  // e.g. "cites no task id"
};
struct CriticLessons {
  std::vector<Lesson> lessons;  // kept, in the critic's order
  std::vector<RefusedLesson> refused;
};

// The lessons in a critic's reply (see the header comment), each given
// `category` and `created_ms`. `known_task_ids`, when not empty, are the ids
// the critic was shown: other cited ids are dropped from a lesson. A reply
// without a JSON object or without a "lessons" array is InvalidArgument
// quoting the reply; bad entries inside the array are refused, not errors.
Result<CriticLessons> ParseCriticReply(const std::string& content, const std::string& category,
                                       const LessonBounds& bounds = {}, int64_t created_ms = 0,
                                       const std::vector<std::string>& known_task_ids = {});

struct MergeResult {
  std::vector<Lesson> lessons;
  int added = 0;    // incoming lessons kept as new lessons
  int merged = 0;   // incoming lessons folded into a near-duplicate
  int dropped = 0;  // lessons dropped (empty, too long, or to stay within bounds)
  std::vector<std::string> reasons;  // one sentence per merge and per drop, in order
};

// Jaccard similarity of term sets at or above which two lessons are one.
inline constexpr double kNearDuplicateJaccard = 0.8;

// `existing` followed by `incoming`, with each incoming lesson that is a
// near-duplicate of one already there (NormalizeText equal, or Jaccard of
// Terms >= kNearDuplicateJaccard; the most similar, ties the first) folded
// into it: the earlier text, category and created_ms stay, the task ids are
// the union in first-seen order. Then, while there are more than max_lessons
// lessons or more than max_tokens tokens in all, the lesson citing the fewest
// tasks is dropped (ties: the oldest created_ms, then the first in the list).
// Incoming lessons that are empty or over max_lesson_tokens are dropped first.
MergeResult MergeLessons(const std::vector<Lesson>& existing, const std::vector<Lesson>& incoming,
                         const LessonBounds& bounds);

inline constexpr char kLessonMemoryFormat[] = "kaizen.lessons/v1";

// The memory artifact: the lessons a worker version retrieves from.
struct LessonMemory {
  std::vector<Lesson> lessons;
  nlohmann::json provenance = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static Result<LessonMemory> FromJson(const nlohmann::json& j);  // Corruption names the bad field
  static Result<LessonMemory> Parse(const std::string& text);     // JSON text, then FromJson
};

// Retrieval of the lessons relevant to an input: BM25 (Bm25Index) over each
// lesson's text and category words, built once per memory version.
class LessonRetriever {
 public:
  explicit LessonRetriever(const std::vector<Lesson>& lessons);

  // Indexes into the lessons given at construction: up to k, score > 0 and
  // >= min_score, best first, ties by lower index.
  std::vector<std::size_t> Retrieve(const std::string& input, std::size_t k, double min_score = 0) const;
  std::size_t size() const { return index_.size(); }

 private:
  Bm25Index index_;
};

// One-off form of LessonRetriever(lessons).Retrieve(input, k, min_score).
std::vector<std::size_t> RetrieveLessons(const std::vector<Lesson>& lessons, const std::string& input,
                                         std::size_t k, double min_score = 0);

}  // namespace kaizen::memory
