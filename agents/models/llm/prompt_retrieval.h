// What a PromptModel version retrieves for each input: the labelled examples
// most like it from its example pool (strategy dynamic_examples) and the
// lessons most relevant to it from its lesson memory (strategy reflection),
// both ranked by BM25 (agents/memory). Loaded once per version, with each
// artifact's hash checked; For() is then pure and thread-safe, so the
// worker, evaluation and training retrieve the same way for the same input.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "agents/memory/example_retrieval.h"
#include "agents/memory/lessons.h"
#include "agents/models/llm/prompt_model.h"
#include "runtime/base/result.h"

namespace kaizen::models::llm {

class PromptRetrieval {
 public:
  PromptRetrieval() = default;  // retrieves nothing

  // Loads model.example_pool and model.lessons, if any. Errors name the
  // artifact and what is wrong (missing, changed since the version was
  // made, not the format).
  static Result<PromptRetrieval> Load(const PromptModel& model);

  // A retrieval from examples and lessons already in memory (training
  // scores candidates before their artifacts exist).
  static PromptRetrieval FromParts(std::vector<Example> pool, int k, int max_per_label,
                                   std::vector<memory::Lesson> lessons, int lessons_k);

  // The examples (most similar last, as they are shown) and lessons (most
  // relevant first) for `input`. Empty when the version retrieves nothing.
  PromptContext For(const std::string& input) const;

  bool empty() const { return !examples_ && !lessons_; }
  std::size_t pool_size() const { return examples_ ? examples_->examples().size() : 0; }
  std::size_t lesson_count() const { return lesson_texts_.size(); }

 private:
  // Shared: a loaded version is copied into each serving thread's view.
  std::shared_ptr<const memory::ExampleRetriever> examples_;
  int k_ = 0, max_per_label_ = 0;
  std::shared_ptr<const memory::LessonRetriever> lessons_;
  std::vector<std::string> lesson_texts_;
  int lessons_k_ = 0;
};

}  // namespace kaizen::models::llm
