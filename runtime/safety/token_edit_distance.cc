#include "runtime/safety/token_edit_distance.h"

#include <algorithm>
#include <numeric>

namespace kaizen::safety {
namespace {

bool WordByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool Blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::size_t Distance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // One row of the DP table over the shorter sequence.
  const auto& rows = a.size() >= b.size() ? a : b;
  const auto& cols = a.size() >= b.size() ? b : a;
  std::vector<std::size_t> prev(cols.size() + 1), cur(cols.size() + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= rows.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= cols.size(); ++j) {
      const std::size_t replace = prev[j - 1] + (rows[i - 1] == cols[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, replace});
    }
    std::swap(prev, cur);
  }
  return prev[cols.size()];
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (Blank(c)) {
      ++i;
    } else if (WordByte(c)) {
      std::size_t j = i;
      while (j < text.size() && WordByte(static_cast<unsigned char>(text[j]))) ++j;
      tokens.emplace_back(text.substr(i, j - i));
      i = j;
    } else {
      tokens.emplace_back(1, text[i]);
      ++i;
    }
  }
  return tokens;
}

std::size_t TokenEditDistance(std::string_view from, std::string_view to) { return Distance(Tokenize(from), Tokenize(to)); }

double ChangeShare(std::string_view from, std::string_view to) {
  const auto a = Tokenize(from), b = Tokenize(to);
  if (a.empty()) return static_cast<double>(b.size());
  return static_cast<double>(Distance(a, b)) / static_cast<double>(a.size());
}

}  // namespace kaizen::safety
