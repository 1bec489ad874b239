// A made-up intent data set in CLINC150's raw layout (data_full.json and
// domains.json), for tests, benchmarks and e2e runs that must not lean on
// CLINC150: its domains ("garden", "library", "harbor", ...) and intents
// ("prune_roses", "renew_book", ...) are not CLINC150's.
//
// Each intent has three keywords (a verb that several intents of different
// domains share, and two nouns of its own). A text is a carrier phrase shared
// by all intents ("could you help me", "i need to") with some of its
// intent's keywords, filler words, now and then a keyword of a sibling
// intent of the same domain, and a few texts with only the shared verb: a
// classifier learns the intents, but not to 100%. Deterministic: the same
// spec gives the same bytes on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/base/status.h"

namespace kaizen::testing {

inline constexpr int kMaxSyntheticDomains = 8;
inline constexpr int kMaxSyntheticIntentsPerDomain = 6;

struct SyntheticIntentsSpec {
  int domains = 6;             // 1 .. kMaxSyntheticDomains
  int intents_per_domain = 6;  // 1 .. kMaxSyntheticIntentsPerDomain
  int train_per_intent = 30;
  int val_per_intent = 8;
  int test_per_intent = 12;
  int oos_per_split = 10;      // pairs in each of oos_train, oos_val, oos_test (0: no oos lists)
  uint64_t seed = 1;
};

struct SyntheticIntents {
  std::vector<std::string> domains;                          // in domains.json's order
  std::vector<std::pair<std::string, std::string>> intents;  // (intent, domain), domain by domain
  std::string data_full_json;                                // {"train": [[text, intent], ...], ...}
  std::string domains_json;                                  // {"domain": [intent, ...], ...}
};

// Counts outside their ranges are clamped into them.
SyntheticIntents MakeSyntheticIntents(const SyntheticIntentsSpec& spec = {});

// Writes dir/data_full.json and dir/domains.json (dir must exist).
Status WriteSyntheticIntents(const std::string& dir, const SyntheticIntents& data);

}  // namespace kaizen::testing
