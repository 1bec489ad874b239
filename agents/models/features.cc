#include "agents/models/features.h"

#include <algorithm>
#include <cmath>

#include "agents/models/utf8.h"

namespace kaizen::models {
namespace {

// FNV-1a, 64 bit: stable across platforms and builds, unlike std::hash, because the
// bucket of a feature is part of the saved model.
class Fnv1a {
 public:
  explicit Fnv1a(char kind) { Byte(static_cast<unsigned char>(kind)); }
  Fnv1a& Byte(unsigned char c) {
    hash_ = (hash_ ^ c) * 1099511628211ull;
    return *this;
  }
  Fnv1a& Bytes(std::string_view s) {
    for (char c : s) Byte(static_cast<unsigned char>(c));
    return *this;
  }
  uint32_t Bucket(uint32_t buckets) const { return static_cast<uint32_t>(hash_ % buckets); }

 private:
  uint64_t hash_ = 14695981039346656037ull;
};

// Kinds keep a word, a bigram and an n-gram with the same bytes apart.
constexpr char kWord = 'w';
constexpr char kBigram = 'b';
constexpr char kCharNgram = 'c';

bool IsAsciiWordChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void AddCharNgrams(const std::string& word, const FeatureOptions& options,
                   std::vector<uint32_t>& out) {
  const std::string padded = "<" + word + ">";
  std::vector<std::size_t> starts;  // byte offset of each code point, plus the end
  for (std::size_t i = 0; i < padded.size();) {
    starts.push_back(i);
    i += Utf8CharLength(static_cast<unsigned char>(padded[i]));
  }
  const std::size_t chars = starts.size();
  starts.push_back(padded.size());
  for (std::size_t n = options.char_ngram_min; n <= options.char_ngram_max; ++n) {
    // The whole padded word is already covered by the word feature.
    for (std::size_t i = 0; i + n <= chars && n < chars; ++i) {
      std::string_view gram(padded.data() + starts[i], starts[i + n] - starts[i]);
      out.push_back(Fnv1a(kCharNgram).Bytes(gram).Bucket(options.buckets));
    }
  }
}

}  // namespace

Status ValidateFeatureOptions(const FeatureOptions& options) {
  if (options.buckets < 1 || options.buckets > kMaxBuckets) {
    return Status::InvalidArgument("buckets must be in [1, " + std::to_string(kMaxBuckets) +
                                   "], got " + std::to_string(options.buckets));
  }
  const bool chars_off = options.char_ngram_min == 0 && options.char_ngram_max == 0;
  if (!chars_off && (options.char_ngram_min < 1 || options.char_ngram_min > options.char_ngram_max ||
                     options.char_ngram_max > kMaxCharNgram)) {
    return Status::InvalidArgument(
        "char n-gram lengths must satisfy 1 <= min <= max <= " + std::to_string(kMaxCharNgram) +
        " (or both 0 to turn them off), got [" + std::to_string(options.char_ngram_min) + ", " +
        std::to_string(options.char_ngram_max) + "]");
  }
  return Status::OK();
}

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (IsAsciiWordChar(c)) {
      current.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
      ++i;
    } else if (c == '\'') {
      ++i;
    } else if (text.substr(i, 3) == "\xE2\x80\x99") {  // U+2019, the typographic apostrophe
      i += 3;
    } else if (c >= 0x80) {
      const std::size_t len = std::min(Utf8CharLength(c), text.size() - i);
      current.append(text.substr(i, len));
      i += len;
    } else {
      flush();
      ++i;
    }
  }
  flush();
  return words;
}

std::vector<Feature> ExtractFeatures(std::string_view text, const FeatureOptions& options) {
  const std::vector<std::string> words = Tokenize(text);
  std::vector<uint32_t> buckets;
  for (const auto& word : words) buckets.push_back(Fnv1a(kWord).Bytes(word).Bucket(options.buckets));
  if (options.word_bigrams) {
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      // The separator byte keeps ("ab", "c") and ("a", "bc") apart.
      buckets.push_back(
          Fnv1a(kBigram).Bytes(words[i]).Byte(0).Bytes(words[i + 1]).Bucket(options.buckets));
    }
  }
  if (options.char_ngram_min > 0) {
    for (const auto& word : words) AddCharNgrams(word, options, buckets);
  }

  std::sort(buckets.begin(), buckets.end());
  std::vector<Feature> features;
  for (uint32_t b : buckets) {
    if (!features.empty() && features.back().bucket == b) {
      features.back().value += 1.0f;
    } else {
      features.push_back({b, 1.0f});
    }
  }
  double norm2 = 0;
  for (const auto& f : features) norm2 += double{f.value} * f.value;
  if (norm2 > 0) {
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm2));
    for (auto& f : features) f.value *= scale;
  }
  return features;
}

}  // namespace kaizen::models
