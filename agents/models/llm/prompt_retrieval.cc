#include "agents/models/llm/prompt_retrieval.h"

#include "agents/memory/memory_artifact.h"

namespace kaizen::models::llm {

Result<PromptRetrieval> PromptRetrieval::Load(const PromptModel& model) {
  std::vector<Example> pool;
  std::vector<memory::Lesson> lessons;
  if (model.example_pool) {
    auto file = memory::ReadPinnedArtifact<memory::ExamplePoolFile>("the example pool", model.example_pool->uri,
                                                                   model.example_pool->sha256);
    if (!file.ok()) return file.status();
    pool = std::move(file->examples);
  }
  if (model.lessons) {
    auto file = memory::ReadPinnedArtifact<memory::LessonMemory>("the lesson memory", model.lessons->uri,
                                                                model.lessons->sha256);
    if (!file.ok()) return file.status();
    lessons = std::move(file->lessons);
  }
  return FromParts(std::move(pool), model.example_pool ? model.example_pool->k : 0,
                   model.example_pool ? model.example_pool->max_per_label : 0, std::move(lessons),
                   model.lessons ? model.lessons->k : 0);
}

PromptRetrieval PromptRetrieval::FromParts(std::vector<Example> pool, int k, int max_per_label,
                                           std::vector<memory::Lesson> lessons, int lessons_k) {
  PromptRetrieval r;
  if (k > 0) {
    r.examples_ = std::make_shared<const memory::ExampleRetriever>(std::move(pool));
    r.k_ = k;
    r.max_per_label_ = max_per_label;
  }
  if (lessons_k > 0) {
    r.lessons_ = std::make_shared<const memory::LessonRetriever>(lessons);
    for (auto& l : lessons) r.lesson_texts_.push_back(std::move(l.text));
    r.lessons_k_ = lessons_k;
  }
  return r;
}

PromptContext PromptRetrieval::For(const std::string& input) const {
  PromptContext c;
  if (examples_) {
    const auto near = examples_->Nearest(input, static_cast<std::size_t>(k_), static_cast<std::size_t>(max_per_label_));
    // Most similar last: nearest the input, where a model weighs an example most.
    for (auto it = near.rbegin(); it != near.rend(); ++it) c.examples.push_back(examples_->examples()[*it]);
  }
  if (lessons_) {
    for (std::size_t i : lessons_->Retrieve(input, static_cast<std::size_t>(lessons_k_))) {
      c.lessons.push_back(lesson_texts_[i]);
    }
  }
  return c;
}

}  // namespace kaizen::models::llm
