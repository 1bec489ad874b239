// Text -> sparse feature vector for the built-in classifier: hashed word unigrams,
// word bigrams and character n-grams of words (fastText-style), no vocabulary to keep.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace kaizen::models {

// How text becomes features. Stored in the model file: prediction must use exactly
// the settings the model was trained with.
struct FeatureOptions {
  uint32_t buckets = 1u << 18;  // hash space; only buckets seen in training cost memory
  bool word_bigrams = true;
  // Character n-grams of "<word>", lengths in [min, max] code points; 0 turns them off.
  // They make the model robust to inflections and typos (+1.5 to 2 points on CLINC150).
  uint32_t char_ngram_min = 3;
  uint32_t char_ngram_max = 3;
};

inline constexpr uint32_t kMaxBuckets = 1u << 24;
inline constexpr uint32_t kMaxCharNgram = 8;

Status ValidateFeatureOptions(const FeatureOptions& options);

// Lowercased words: runs of ASCII letters and digits plus any non-ASCII character.
// Apostrophes (' and U+2019) are dropped inside words ("don't" -> "dont"); everything
// else separates words. Non-ASCII letters are kept as they are (no Unicode case folding).
std::vector<std::string> Tokenize(std::string_view text);

struct Feature {
  uint32_t bucket;
  float value;
};

// Features of a text, sorted by bucket with duplicates merged and scaled to unit
// L2 norm (so long and short texts train at the same step size). Empty for a text
// without words.
std::vector<Feature> ExtractFeatures(std::string_view text, const FeatureOptions& options);

}  // namespace kaizen::models
