// McNemar's test for paired binary outcomes (two models on the same items).
#pragma once

#include <cstdint>

namespace kaizen::stats {

// Two-sided exact p-value from the discordant counts: b items only the first
// model got right, c items only the second. Under H0 each discordant item is
// a fair coin, so p = min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2).
// Exact at every size: the tail is summed in log space with lgamma, so there
// is no chi-square approximation. b + c == 0 gives 1.
double McNemarPValue(int64_t b, int64_t c);

}  // namespace kaizen::stats
