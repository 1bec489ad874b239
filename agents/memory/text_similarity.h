// Lexical similarity for retrieving lessons and examples: text -> terms, and a
// BM25 index over term lists. Lexical matching is enough for the worker's
// retrieval (issue 19) and needs no model, no endpoint and no randomness: the
// same documents and query always give the same ranking.
//
// Terms are lower-case words: runs of ASCII letters and digits, with every
// non-ASCII byte counted as a letter so UTF-8 words ("café", "日本") stay whole
// and are never split inside a character. Apostrophes (' and U+2019) inside a
// word are dropped ("don't" -> "dont"); any other byte separates words. Stop
// words (the test server's list: "the", "to", "how", ...) are not terms, and
// a term's plural is folded ("refunds" -> "refund", "policies" -> "policy") so
// that a lesson and an input need not agree on number to match.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kaizen::memory {

// Lower-case words of `text`, in order, stop words included.
std::vector<std::string> Words(std::string_view text);
bool IsStopWord(std::string_view word);
// Plural folding of one word: "ies" -> "y" and a final "s" dropped, for ASCII
// words of 4+ letters not ending in "ss", "us" or "is" ("class", "status" and
// "analysis" stay).
std::string FoldPlural(std::string word);
// Words() without stop words, plurals folded, in order, repeats kept: what the
// index ranks on.
std::vector<std::string> Terms(std::string_view text);
// Words() joined by single spaces: two texts that differ only in case, spacing
// or punctuation normalize equal ("Check the IBAN!" == "check  the iban").
std::string NormalizeText(std::string_view text);
// |a ∩ b| / |a ∪ b| of the two term sets (repeats ignored); 0 when both are empty.
double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Okapi BM25 over documents added one by one. Ids are 0, 1, 2, ... in Add order.
// idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)) (never negative); each distinct
// query term counts once. Scores change as documents are added (N, df, avgdl).
class Bm25Index {
 public:
  struct Options {
    double k1 = 1.2;  // term-frequency saturation
    double b = 0.75;  // length normalization: 0 none, 1 full
  };

  Bm25Index() = default;
  explicit Bm25Index(Options options) : options_(options) {}

  // Adds a document (its terms, e.g. Terms(text)); returns its id.
  std::size_t Add(const std::vector<std::string>& terms);
  std::size_t size() const { return lengths_.size(); }

  // One score per document, by id; 0 for a document sharing no term with the query.
  std::vector<double> Score(const std::vector<std::string>& query) const;
  // Up to k ids with score > 0 and >= min_score, by score descending, ties by lower id.
  std::vector<std::size_t> TopK(const std::vector<std::string>& query, std::size_t k, double min_score = 0) const;

 private:
  struct Posting {
    std::size_t doc;
    int count;
  };
  Options options_;
  std::vector<int> lengths_;                                          // terms per document
  std::unordered_map<std::string, std::vector<Posting>> postings_;   // term -> docs, by id
  double total_length_ = 0;
};

}  // namespace kaizen::memory
