// Teacher: the labeler datagen buys answers from. A builtin-classifier teacher
// is trained from its manifest entry's "train" data (once; the model is cached
// under <state_dir>/artifacts/teachers/ by a hash of its configuration) and
// answers with its prediction, except that with probability `noise` it answers
// a uniformly random label of its own (a bad teacher has noise 1.0).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/text_classifier.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

struct TeacherSpec {
  std::string name;
  std::string backend;
  double cost_per_call = 0;
  int max_concurrency = 1;
  double rate_limit_per_s = 0;  // 0 = unlimited
  double noise = 0;
  std::string data_path, split;
  std::vector<std::string> domains;
  std::string config_hash;      // sha256 of the teacher entry and its data path
};

// The first entry of settings["cluster"]["spec"]["teachers"]. FailedPrecondition
// when there is none, or when its backend or data cannot be used.
Result<TeacherSpec> FirstTeacher(const nlohmann::json& settings);

class Teacher {
 public:
  // Loads the cached model, or trains it and writes the cache.
  static Result<Teacher> LoadOrTrain(const TeacherSpec& spec, const std::string& state_dir);
  Teacher(TeacherSpec spec, std::shared_ptr<const models::TextClassifier> model)
      : spec_(std::move(spec)), model_(std::move(model)) {}

  const TeacherSpec& spec() const { return spec_; }
  // One answer. `draw` makes the noise reproducible: the same draw, the same answer.
  std::string Label(const std::string& text, uint64_t draw) const;

  // Labels every text with at most `concurrency` threads and the teacher's rate
  // limit; `done` counts answers as they come (for progress).
  std::vector<std::string> LabelAll(const std::vector<std::string>& texts, int concurrency, uint64_t seed,
                                    std::atomic<std::size_t>* done) const;

 private:
  TeacherSpec spec_;
  std::shared_ptr<const models::TextClassifier> model_;
};

}  // namespace kaizen::agents
