// "did you mean ...?": the known name nearest to a misspelt one.
#pragma once

#include <string>
#include <vector>

namespace kaizen::config {

// Levenshtein distance (insert, delete, substitute; each costs 1).
size_t EditDistance(const std::string& a, const std::string& b);

// The closest of known to word when close enough to be a likely typo
// (distance <= max(2, longest / 3)), else "".
std::string Nearest(const std::string& word, const std::vector<std::string>& known);

}  // namespace kaizen::config
