// The built-in text classifier: a fastText-like linear softmax over hashed word,
// word-bigram and character n-gram features, trained by SGD. Small enough to train
// on tens of thousands of examples in seconds on one core; warm-startable from a
// parent model; saved in a versioned, checksummed file (see classifier_file.cc).
// Const methods keep no scratch state, so one model may serve many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/models/example.h"
#include "agents/models/features.h"
#include "agents/models/weight_table.h"
#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::models {

struct EpochStats {
  int epoch = 0;             // 1-based
  int epochs = 0;
  double mean_loss = 0;      // cross-entropy over the epoch's examples
  double learning_rate = 0;  // at the end of the epoch
};

struct TrainOptions {
  int epochs = 10;
  // Step size at the start; it decays linearly to 0 over the run. Large by usual
  // standards because feature vectors have unit norm (see ExtractFeatures).
  double learning_rate = 4.0;
  double l2 = 0.0;  // weight decay on the rows an example touches; 0 = off
  uint64_t seed = 1;  // shuffling order; the same seed and data give the same model
  // Ignored for a warm start: the child keeps its parent's features.
  FeatureOptions features;
  // Called after each epoch (progress reporting); may be empty.
  std::function<void(const EpochStats&)> on_epoch;
};

struct Prediction {
  std::string label;
  double confidence = 0;  // softmax probability of `label`
};

class TextClassifier {
 public:
  // Trains on `examples` (at least one; labels must be non-empty). With a parent the
  // child starts from a copy of its weights and label list; labels the parent does
  // not know are appended, starting at zero weight.
  static Result<TextClassifier> Train(const std::vector<Example>& examples,
                                      const TrainOptions& options,
                                      const TextClassifier* parent = nullptr);

  // Reads a model written by Save, refusing a file that fails any check
  // (Corruption for damage, InvalidArgument for a file that is not a model at all).
  static Result<TextClassifier> Load(const std::string& path);
  // Writes atomically (temporary file + rename), stamped with `version`.
  Status Save(const std::string& path, const std::string& version) const;

  Prediction Predict(std::string_view text) const;
  // The k most probable labels, most probable first.
  std::vector<Prediction> PredictTopK(std::string_view text, std::size_t k) const;
  // Softmax probabilities, indexed like labels().
  std::vector<float> Probabilities(std::string_view text) const;

  const std::vector<std::string>& labels() const { return labels_; }
  const FeatureOptions& features() const { return features_; }
  // The version this model was saved or loaded as; empty for a model fresh from Train.
  const std::string& version() const { return version_; }
  // The version of the model it was warm-started from; empty when trained from scratch.
  const std::string& parent_version() const { return parent_version_; }
  // Feature rows stored (a size measure: the file holds rows x labels floats).
  std::size_t feature_rows() const { return weights_.rows(); }

 private:
  TextClassifier() = default;

  // Adds labels not yet known, widening weights and bias; returns each example's label index.
  std::vector<uint32_t> IndexLabels(const std::vector<Example>& examples);
  // logits = bias + sum of value * row over the features the model has rows for.
  void Logits(const std::vector<Feature>& features, std::vector<float>& out) const;

  FeatureOptions features_;
  std::vector<std::string> labels_;
  WeightTable weights_;      // feature rows x labels
  std::vector<float> bias_;  // one per label
  std::string version_;
  std::string parent_version_;
};

}  // namespace kaizen::models
