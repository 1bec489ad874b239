// TextClassifier::Train: plain SGD on the softmax cross-entropy, with sparse updates
// (only the rows of an example's features change) and a linearly decaying step size.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "agents/models/classifier_limits.h"
#include "agents/models/softmax.h"
#include "agents/models/text_classifier.h"

namespace kaizen::models {
namespace {

constexpr int kMaxEpochs = 10000;

// SplitMix64: tiny and fully specified, so a seed gives the same shuffle on every
// platform (std::shuffle's algorithm is up to the standard library).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), without modulo bias.
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = Next(); while (x >= limit);
    return x % n;
  }

 private:
  uint64_t state_;
};

void Shuffle(std::vector<uint32_t>& v, SplitMix64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Below(i)]);
}

// Every example's features mapped to weight rows once, stored flat for locality.
struct PreparedExamples {
  std::vector<std::size_t> offsets{0};  // example i owns [offsets[i], offsets[i + 1])
  std::vector<uint32_t> rows;
  std::vector<float> values;
};

Status ValidateTrainInput(const std::vector<Example>& examples, const TrainOptions& options) {
  if (examples.empty()) return Status::InvalidArgument("no training examples");
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const std::string& label = examples[i].label;
    if (label.empty() || label.size() > kMaxLabelBytes) {
      return Status::InvalidArgument("training example " + std::to_string(i) +
                                     ": a label must have 1 to " + std::to_string(kMaxLabelBytes) +
                                     " bytes");
    }
  }
  if (options.epochs < 1 || options.epochs > kMaxEpochs) {
    return Status::InvalidArgument("epochs must be in [1, " + std::to_string(kMaxEpochs) +
                                   "], got " + std::to_string(options.epochs));
  }
  if (!std::isfinite(options.learning_rate) || options.learning_rate <= 0) {
    return Status::InvalidArgument("learning_rate must be a positive number");
  }
  if (!std::isfinite(options.l2) || options.l2 < 0 || options.l2 * options.learning_rate >= 1) {
    return Status::InvalidArgument("l2 must be >= 0 and l2 * learning_rate < 1");
  }
  return ValidateFeatureOptions(options.features);
}

}  // namespace

Result<TextClassifier> TextClassifier::Train(const std::vector<Example>& examples,
                                             const TrainOptions& options,
                                             const TextClassifier* parent) {
  if (Status s = ValidateTrainInput(examples, options); !s.ok()) return s;

  TextClassifier model;
  if (parent != nullptr) {
    model = *parent;
    model.parent_version_ = parent->version_;
    model.version_.clear();
  } else {
    model.features_ = options.features;
    model.weights_ = WeightTable(options.features.buckets, 0);
  }
  const std::vector<uint32_t> targets = model.IndexLabels(examples);
  if (model.labels_.size() > kMaxLabels) {
    return Status::InvalidArgument("too many labels: " + std::to_string(model.labels_.size()) +
                                   " (at most " + std::to_string(kMaxLabels) + ")");
  }

  PreparedExamples data;
  for (const auto& example : examples) {
    for (const Feature& f : ExtractFeatures(example.text, model.features_)) {
      data.rows.push_back(model.weights_.FindOrAdd(f.bucket));
      data.values.push_back(f.value);
    }
    data.offsets.push_back(data.rows.size());
  }

  const std::size_t cols = model.labels_.size();
  const auto n = static_cast<uint32_t>(examples.size());
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  SplitMix64 rng(options.seed);
  std::vector<float> p(cols);
  const double total_steps = static_cast<double>(options.epochs) * n;
  double step = 0;
  float lr = 0;

  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    Shuffle(order, rng);
    double loss = 0;
    for (uint32_t i : order) {
      lr = static_cast<float>(options.learning_rate * (1.0 - step / total_steps));
      ++step;
      const std::size_t begin = data.offsets[i], end = data.offsets[i + 1];

      std::copy(model.bias_.begin(), model.bias_.end(), p.begin());
      for (std::size_t k = begin; k < end; ++k) {
        const float v = data.values[k];
        const float* w = model.weights_.row(data.rows[k]);
        for (std::size_t j = 0; j < cols; ++j) p[j] += v * w[j];
      }
      SoftmaxInPlace(p);
      loss -= std::log(std::max(p[targets[i]], 1e-30f));
      p[targets[i]] -= 1.0f;  // now the gradient of the loss w.r.t. the logits

      for (std::size_t j = 0; j < cols; ++j) model.bias_[j] -= lr * p[j];
      const auto keep = static_cast<float>(1.0 - lr * options.l2);
      for (std::size_t k = begin; k < end; ++k) {
        const float scale = lr * data.values[k];
        float* w = model.weights_.row(data.rows[k]);
        if (options.l2 > 0) {
          for (std::size_t j = 0; j < cols; ++j) w[j] = keep * w[j] - scale * p[j];
        } else {
          for (std::size_t j = 0; j < cols; ++j) w[j] -= scale * p[j];
        }
      }
    }
    if (options.on_epoch) options.on_epoch({epoch, options.epochs, loss / n, lr});
  }
  return model;
}

}  // namespace kaizen::models
