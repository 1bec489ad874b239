#include "agents/models/text_classifier.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "agents/models/softmax.h"

namespace kaizen::models {

std::vector<uint32_t> TextClassifier::IndexLabels(const std::vector<Example>& examples) {
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t i = 0; i < labels_.size(); ++i) index.emplace(labels_[i], i);
  const auto known = static_cast<uint32_t>(labels_.size());
  std::vector<uint32_t> ids;
  ids.reserve(examples.size());
  for (const auto& example : examples) {
    auto [it, added] = index.emplace(example.label, static_cast<uint32_t>(labels_.size()));
    if (added) labels_.push_back(example.label);  // first-appearance order: deterministic
    ids.push_back(it->second);
  }
  weights_.AddColumns(static_cast<uint32_t>(labels_.size()) - known);
  bias_.resize(labels_.size(), 0.0f);
  return ids;
}

void TextClassifier::Logits(const std::vector<Feature>& features, std::vector<float>& out) const {
  out.assign(bias_.begin(), bias_.end());
  const std::size_t cols = out.size();
  for (const auto& f : features) {
    const int32_t r = weights_.Find(f.bucket);
    if (r == WeightTable::kNoRow) continue;  // never seen in training: weight 0
    const float* w = weights_.row(static_cast<std::size_t>(r));
    for (std::size_t j = 0; j < cols; ++j) out[j] += f.value * w[j];
  }
}

std::vector<float> TextClassifier::Probabilities(std::string_view text) const {
  std::vector<float> p;
  Logits(ExtractFeatures(text, features_), p);
  SoftmaxInPlace(p);
  return p;
}

Prediction TextClassifier::Predict(std::string_view text) const {
  const std::vector<float> p = Probabilities(text);
  const auto best = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  return {labels_[best], p[best]};
}

std::vector<Prediction> TextClassifier::PredictTopK(std::string_view text, std::size_t k) const {
  const std::vector<float> p = Probabilities(text);
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, order.size());
  // Ties go to the lower label index, so the order is deterministic.
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](std::size_t a, std::size_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  std::vector<Prediction> top;
  top.reserve(k);
  for (std::size_t i = 0; i < k; ++i) top.push_back({labels_[order[i]], p[order[i]]});
  return top;
}

}  // namespace kaizen::models
