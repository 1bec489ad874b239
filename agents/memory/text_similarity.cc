#include "agents/memory/text_similarity.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>

namespace kaizen::memory {
namespace {

// The test server's stop words (tests/support/openai_test_server/rules.cc), so
// what it counts as content is what retrieval ranks on.
const std::unordered_set<std::string_view>& SimStopWords() {
  static const std::unordered_set<std::string_view> kStop = {
      "the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "is", "are", "be", "it",
      "my", "me", "you", "your", "i", "we", "do", "does", "can", "could", "would", "will", "what", "how",
      "this", "that", "with", "at", "by", "from", "as", "was", "please", "want", "need", "tell", "about", "there",
      "have", "has", "am", "if", "so", "up", "get", "like", "im", "its", "let", "know"};
  return kStop;
}

bool SimIsAsciiWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (SimIsAsciiWordByte(c)) {
      word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else if (c == '\'') {
      // Dropped: "don't" -> "dont"; at a word's edge it only ends nothing.
    } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               static_cast<unsigned char>(text[i + 2]) == 0x99) {
      i += 2;  // U+2019, the typographic apostrophe: dropped like '
    } else if (c >= 0x80) {
      word += static_cast<char>(c);  // part of a non-ASCII character: a letter
    } else {
      flush();
    }
  }
  flush();
  return out;
}

bool IsStopWord(std::string_view word) { return SimStopWords().count(word) > 0; }

std::string FoldPlural(std::string word) {
  const std::size_t n = word.size();
  if (n < 4 || word.back() != 's') return word;
  if (!std::all_of(word.begin(), word.end(), [](char c) { return SimIsAsciiWordByte(static_cast<unsigned char>(c)); })) {
    return word;
  }
  const char before = word[n - 2];
  if (before == 's' || before == 'u' || before == 'i') return word;
  if (n >= 5 && word.compare(n - 3, 3, "ies") == 0) return word.substr(0, n - 3) + "y";
  word.pop_back();
  return word;
}

std::vector<std::string> Terms(std::string_view text) {
  std::vector<std::string> out;
  for (auto& w : Words(text)) {
    if (!IsStopWord(w)) out.push_back(FoldPlural(std::move(w)));
  }
  return out;
}

std::string NormalizeText(std::string_view text) {
  std::string out;
  for (const auto& w : Words(text)) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  if (sa.empty() && sb.empty()) return 0;
  std::size_t common = 0;
  for (const auto& t : sa) common += sb.count(t);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

std::size_t Bm25Index::Add(const std::vector<std::string>& terms) {
  const std::size_t id = lengths_.size();
  std::unordered_map<std::string, int> counts;
  for (const auto& t : terms) ++counts[t];
  for (const auto& [term, n] : counts) postings_[term].push_back({id, n});
  lengths_.push_back(static_cast<int>(terms.size()));
  total_length_ += static_cast<double>(terms.size());
  return id;
}

std::vector<double> Bm25Index::Score(const std::vector<std::string>& query) const {
  std::vector<double> scores(lengths_.size(), 0.0);
  if (lengths_.empty()) return scores;
  const double n = static_cast<double>(lengths_.size());
  const double avgdl = total_length_ > 0 ? total_length_ / n : 1.0;
  // Distinct terms in sorted order: the floating-point sum is the same whatever
  // the query's word order.
  const std::set<std::string> distinct(query.begin(), query.end());
  for (const auto& term : distinct) {
    auto it = postings_.find(term);
    if (it == postings_.end()) continue;
    const double df = static_cast<double>(it->second.size());
    const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (const auto& p : it->second) {
      const double tf = p.count;
      const double norm = options_.k1 * (1.0 - options_.b + options_.b * lengths_[p.doc] / avgdl);
      scores[p.doc] += idf * tf * (options_.k1 + 1.0) / (tf + norm);
    }
  }
  return scores;
}

std::vector<std::size_t> Bm25Index::TopK(const std::vector<std::string>& query, std::size_t k,
                                         double min_score) const {
  const auto scores = Score(query);
  std::vector<std::size_t> ids;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] > 0 && scores[i] >= min_score) ids.push_back(i);
  }
  std::stable_sort(ids.begin(), ids.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  if (ids.size() > k) ids.resize(k);
  return ids;
}

}  // namespace kaizen::memory
