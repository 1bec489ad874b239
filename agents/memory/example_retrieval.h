// Example retrieval for the `dynamic_examples` strategy: instead of one fixed
// set of few-shot examples, an LLM worker shows, for each input, the k labelled
// examples most like it. The pool is the datasets datagen bought plus the
// corrections people made; a correction replaces a dataset example with the
// same input, since the person's label is the one to learn from.
// Pure logic: the caller loads the pool and builds the prompt.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "agents/memory/text_similarity.h"
#include "agents/models/example.h"

namespace kaizen::memory {

// A BM25 index over the examples' texts (Terms), built once per pool.
class ExampleRetriever {
 public:
  explicit ExampleRetriever(std::vector<models::Example> examples);

  // Indexes of up to k examples sharing a term with `input`, by BM25 score
  // descending, ties by lower index. Examples whose text is the input itself
  // (NormalizeText equal) are left out, so an evaluation row is never shown
  // its own answer. max_per_label > 0 keeps at most that many per label (the
  // best of each), for variety; 0 = no limit.
  std::vector<std::size_t> Nearest(const std::string& input, std::size_t k, std::size_t max_per_label = 0) const;

  const std::vector<models::Example>& examples() const { return examples_; }

 private:
  std::vector<models::Example> examples_;
  std::vector<std::string> normalized_;  // NormalizeText of each example's text
  Bm25Index index_;
};

// The pool and where it came from.
struct ExamplePool {
  std::vector<models::Example> examples;
  std::size_t from_datasets = 0;     // dataset examples kept as they were
  std::size_t from_corrections = 0;  // corrections in the pool (overriding or new)
  std::size_t overridden = 0;        // dataset examples replaced by a correction
  std::size_t duplicates = 0;        // repeated inputs folded (datasets: first kept; corrections: last kept)
  std::size_t skipped = 0;           // empty text or label
};

// Datasets first, in order, one example per normalized input (the first);
// then each correction either replaces, in place, the example with the same
// normalized input (the person's text and label win; of two corrections of
// one input the later wins) or is appended.
ExamplePool PoolExamples(const std::vector<models::Example>& datasets, const std::vector<models::Example>& corrections);

}  // namespace kaizen::memory
