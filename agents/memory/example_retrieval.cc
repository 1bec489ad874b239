#include "agents/memory/example_retrieval.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "runtime/base/text.h"

namespace kaizen::memory {

ExampleRetriever::ExampleRetriever(std::vector<models::Example> examples) : examples_(std::move(examples)) {
  normalized_.reserve(examples_.size());
  for (const auto& e : examples_) {
    normalized_.push_back(NormalizeText(e.text));
    index_.Add(Terms(e.text));
  }
}

std::vector<std::size_t> ExampleRetriever::Nearest(const std::string& input, std::size_t k,
                                                   std::size_t max_per_label) const {
  const auto scores = index_.Score(Terms(input));
  const std::string self = NormalizeText(input);
  std::vector<std::size_t> ranked;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] > 0 && normalized_[i] != self) ranked.push_back(i);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::vector<std::size_t> out;
  std::map<std::string, std::size_t> per_label;
  for (std::size_t i : ranked) {
    if (out.size() >= k) break;
    if (max_per_label > 0 && per_label[examples_[i].label] >= max_per_label) continue;
    ++per_label[examples_[i].label];
    out.push_back(i);
  }
  return out;
}

ExamplePool PoolExamples(const std::vector<models::Example>& datasets,
                         const std::vector<models::Example>& corrections) {
  ExamplePool pool;
  std::unordered_map<std::string, std::size_t> at;  // normalized input -> index in pool.examples
  std::vector<bool> corrected;                      // pool.examples[i] comes from a correction
  for (const auto& e : datasets) {
    const std::string key = NormalizeText(e.text);
    if (key.empty() || Trim(e.label).empty()) {
      ++pool.skipped;
      continue;
    }
    if (!at.emplace(key, pool.examples.size()).second) {
      ++pool.duplicates;
      continue;
    }
    pool.examples.push_back(e);
    corrected.push_back(false);
  }
  const std::size_t datasets_kept = pool.examples.size();
  for (const auto& e : corrections) {
    const std::string key = NormalizeText(e.text);
    if (key.empty() || Trim(e.label).empty()) {
      ++pool.skipped;
      continue;
    }
    auto [it, fresh] = at.emplace(key, pool.examples.size());
    if (fresh) {
      pool.examples.push_back(e);
      corrected.push_back(true);
      ++pool.from_corrections;
      continue;
    }
    if (corrected[it->second]) {
      ++pool.duplicates;  // a later correction of the same input wins
    } else {
      ++pool.overridden;
      ++pool.from_corrections;
      corrected[it->second] = true;
    }
    pool.examples[it->second] = e;
  }
  pool.from_datasets = datasets_kept - pool.overridden;
  return pool;
}

}  // namespace kaizen::memory
