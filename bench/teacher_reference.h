// The teacher's own accuracy on what the simulated users send after the drift:
// the ceiling a cycle that buys the teacher's labels is measured against.
//
// The teacher is trained exactly as datagen trains it (agents/datagen/teacher.cc:
// LoadJsonlExamples of spec.teachers[0].train's dataset, split and domains,
// TextClassifier::Train with the default TrainOptions) and scored on every
// example of the simulator's splits (spec.simulator.split, e.g. "val,test") in
// its after_drift_domains (empty: all): the pool after-drift traffic is drawn
// from, each example once. The worker's initial model (v1: spec.worker.skill.train,
// trained the same way by agents/worker/worker_agent.cc) is scored on the same
// pool: where every cycle starts from.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/manifest_doc.h"
#include "runtime/base/result.h"

namespace kaizen::bench {

struct TeacherReference {
  std::string teacher;        // spec.teachers[0].name
  double model_accuracy = 0;  // the trained model on the after-drift pool
  double noise = 0;           // spec.teachers[0].noise: that share of its labels is random
  // What its labels are worth: model_accuracy with `noise` of them replaced by a
  // uniformly random label (right 1/labels of the time). = model_accuracy at noise 0.
  double label_accuracy = 0;
  size_t train_examples = 0, test_examples = 0, labels = 0;
  double train_seconds = 0;
  std::string train_split, test_splits;
  // v1 on the same pool; nullopt when the worker is not a builtin-classifier
  // with train data.
  std::optional<double> worker_accuracy;
  size_t worker_train_examples = 0;

  nlohmann::json ToJson() const;
};

// For a manifest whose data paths are absolute. InvalidArgument when the
// manifest has no builtin-classifier teacher or no simulator; the loader's
// error when the data cannot be read. A worker that cannot be trained here
// only leaves worker_accuracy empty.
Result<TeacherReference> MeasureTeacher(const ManifestDoc& manifest);

}  // namespace kaizen::bench
