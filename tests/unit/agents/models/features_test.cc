#include "agents/models/features.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "agents/models/utf8.h"

using namespace kaizen;
using namespace kaizen::models;

TEST_CASE("tokenize lowercases, drops apostrophes and splits on punctuation", "[models][features]") {
  using V = std::vector<std::string>;
  CHECK(Tokenize("Don't STOP, can\xE2\x80\x99t-stop!  42x") == V{"dont", "stop", "cant", "stop", "42x"});
  CHECK(Tokenize("") == V{});
  CHECK(Tokenize(" ?! ") == V{});
  // Non-ASCII characters stay inside words, whole.
  CHECK(Tokenize("caf\xC3\xA9 \xC3\xBC" "ber") == V{"caf\xC3\xA9", "\xC3\xBC" "ber"});
}

TEST_CASE("features are sorted, merged, of unit norm and stable", "[models][features]") {
  FeatureOptions options;
  const auto a = ExtractFeatures("what is my bank balance, my balance?", options);
  REQUIRE_FALSE(a.empty());
  double norm2 = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].bucket < options.buckets);
    if (i > 0) CHECK(a[i - 1].bucket < a[i].bucket);
    norm2 += a[i].value * a[i].value;
  }
  CHECK(norm2 == Approx(1.0).epsilon(1e-5));

  // Same text, same features; case and punctuation do not matter.
  const auto b = ExtractFeatures("What is my BANK balance my balance", options);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].bucket == b[i].bucket);
    CHECK(a[i].value == b[i].value);
  }
  CHECK(ExtractFeatures("?!", options).empty());
}

TEST_CASE("feature options select word bigrams and char n-grams", "[models][features]") {
  FeatureOptions words_only;
  words_only.word_bigrams = false;
  words_only.char_ngram_min = words_only.char_ngram_max = 0;
  CHECK(ExtractFeatures("pay my bill", words_only).size() == 3);

  FeatureOptions bigrams = words_only;
  bigrams.word_bigrams = true;
  CHECK(ExtractFeatures("pay my bill", bigrams).size() == 5);

  FeatureOptions chars = words_only;
  chars.char_ngram_min = chars.char_ngram_max = 3;
  // "<pay>" has 3 trigrams, "<my>" 2, "<bill>" 4: 3 words + 9 n-grams (no collisions here).
  CHECK(ExtractFeatures("pay my bill", chars).size() == 12);
  // Character n-grams count code points, so a two-byte letter is one character.
  CHECK(ExtractFeatures("\xC3\xA9t\xC3\xA9", chars).size() == 1 + 3);
}

TEST_CASE("feature options are validated", "[models][features]") {
  CHECK(ValidateFeatureOptions(FeatureOptions{}).ok());
  FeatureOptions bad;
  bad.buckets = 0;
  CHECK(ValidateFeatureOptions(bad).code() == Status::Code::kInvalidArgument);
  bad = FeatureOptions{};
  bad.buckets = kMaxBuckets + 1;
  CHECK_FALSE(ValidateFeatureOptions(bad).ok());
  bad = FeatureOptions{};
  bad.char_ngram_min = 4;
  bad.char_ngram_max = 3;
  CHECK_FALSE(ValidateFeatureOptions(bad).ok());
  bad.char_ngram_min = 0;
  bad.char_ngram_max = 0;
  CHECK(ValidateFeatureOptions(bad).ok());  // both 0: n-grams off
}

TEST_CASE("UTF-8 validation", "[models][utf8]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("caf\xC3\xA9 \xE2\x80\x99 \xF0\x9F\x91\x8D"));
  CHECK_FALSE(IsValidUtf8("\xFF"));
  CHECK_FALSE(IsValidUtf8("\x80"));              // continuation byte first
  CHECK_FALSE(IsValidUtf8("caf\xC3"));           // cut short
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}
