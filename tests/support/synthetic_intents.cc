#include "tests/support/synthetic_intents.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "runtime/base/atomic_file.h"

namespace kaizen::testing {
namespace {

// A domain and its intents, each "verb noun noun": the intent is verb_noun.
struct DomainWords {
  const char* name;
  std::array<const char*, kMaxSyntheticIntentsPerDomain> intents;
};

constexpr std::array<DomainWords, kMaxSyntheticDomains> kBank = {{
    {"garden", {"prune roses hedge", "water lawn sprinkler", "order seeds bulbs", "turn compost worms",
                "fix mower blade", "harvest tomatoes basket"}},
    {"library", {"renew book loan", "reserve room study", "pay fine overdue", "find author shelf",
                 "print poster copies", "join club reading"}},
    {"observatory", {"book telescope night", "check eclipse date", "name star registry", "tour dome guide",
                     "watch comet tail", "rent binoculars lens"}},
    {"bakery", {"order cake birthday", "check gluten allergy", "buy sourdough loaf", "reserve croissants morning",
                "cater wedding pastry", "join kneading class"}},
    {"harbor", {"moor yacht berth", "check tide chart", "rent kayak paddle", "fuel boat diesel",
                "report buoy damage", "book ferry crossing"}},
    {"orchestra", {"buy ticket concert", "tune violin strings", "join choir audition", "rent cello bow",
                   "hear symphony program", "fund sponsor season"}},
    {"workshop", {"sharpen chisel edge", "cut plank oak", "glue joint clamp", "sand table varnish",
                  "weld bracket steel", "repair chair leg"}},
    {"apiary", {"inspect hive frames", "harvest honey jar", "catch swarm queen", "treat mites varroa",
                "buy beesuit veil", "feed syrup winter"}},
}};

constexpr std::array<const char*, 14> kCarriers = {
    "could you help me", "i need to", "please", "how do i", "is it possible to", "i would like to",
    "can i", "help me", "quick question how to", "hey i want to", "what is the way to", "i am trying to",
    "tell me how to", "would it be ok to"};
constexpr std::array<const char*, 16> kFillers = {"the", "my", "today", "for", "some", "a", "now", "again",
                                                   "this", "week", "there", "soon", "maybe", "our", "later", "it"};
constexpr std::array<const char*, 12> kOosTexts = {
    "what is the capital of peru", "tell me a joke about cats", "how tall is a giraffe",
    "who painted the night watch", "what rhymes with orange", "is pluto a planet",
    "how many bones does a shark have", "what is the speed of sound", "recommend a board game",
    "why is the sky blue", "how do volcanoes form", "what year did the wall fall"};

// splitmix64: the same numbers everywhere (std distributions are not portable).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t state_;
};

std::vector<std::string> Words(const char* s) {
  std::vector<std::string> out;
  std::string w;
  for (const char* p = s;; ++p) {
    if (*p == ' ' || *p == '\0') {
      if (!w.empty()) out.push_back(w);
      w.clear();
      if (*p == '\0') break;
    } else {
      w.push_back(*p);
    }
  }
  return out;
}

std::string Text(Rng& rng, const std::vector<std::string>& keywords, const std::vector<std::string>& sibling) {
  std::vector<std::string> words;
  if (rng.Chance(0.06)) {
    words.push_back(keywords[0]);  // only the verb, which other domains share: often unlearnable
  } else {
    if (rng.Chance(0.6)) words.push_back(keywords[0]);
    const bool first = rng.Chance(0.7), second = rng.Chance(0.6);
    if (first || !second) words.push_back(keywords[1]);
    if (second) words.push_back(keywords[2]);
  }
  if (!sibling.empty() && rng.Chance(0.25)) words.push_back(sibling[1 + rng.Below(2)]);
  for (std::size_t i = rng.Below(4); i > 0; --i) words.push_back(kFillers[rng.Below(kFillers.size())]);
  for (std::size_t i = words.size(); i > 1; --i) std::swap(words[i - 1], words[rng.Below(i)]);
  std::string text = kCarriers[rng.Below(kCarriers.size())];
  for (const auto& w : words) text += " " + w;
  return text;
}

}  // namespace

SyntheticIntents MakeSyntheticIntents(const SyntheticIntentsSpec& spec) {
  const int domains = std::clamp(spec.domains, 1, kMaxSyntheticDomains);
  const int per_domain = std::clamp(spec.intents_per_domain, 1, kMaxSyntheticIntentsPerDomain);
  Rng rng(spec.seed);

  SyntheticIntents out;
  nlohmann::ordered_json domains_json = nlohmann::ordered_json::object();
  std::vector<std::vector<std::string>> keywords;  // per intent, like out.intents
  std::vector<std::size_t> domain_of;
  for (int d = 0; d < domains; ++d) {
    out.domains.push_back(kBank[d].name);
    auto& list = domains_json[kBank[d].name] = nlohmann::ordered_json::array();
    for (int i = 0; i < per_domain; ++i) {
      keywords.push_back(Words(kBank[d].intents[i]));
      const std::string intent = keywords.back()[0] + "_" + keywords.back()[1];
      out.intents.emplace_back(intent, kBank[d].name);
      list.push_back(intent);
      domain_of.push_back(static_cast<std::size_t>(d));
    }
  }

  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  const std::pair<const char*, int> splits[] = {
      {"train", spec.train_per_intent}, {"val", spec.val_per_intent}, {"test", spec.test_per_intent}};
  for (const auto& [split, per_intent] : splits) {
    auto& list = data[split] = nlohmann::ordered_json::array();
    // Intents interleaved, as people collect data, not sorted by label.
    for (int n = 0; n < per_intent; ++n) {
      for (std::size_t i = 0; i < out.intents.size(); ++i) {
        const std::size_t first = domain_of[i] * static_cast<std::size_t>(per_domain);
        const std::size_t sib = first + (i - first + 1 + rng.Below(per_domain)) % per_domain;
        const std::vector<std::string> none;
        list.push_back({Text(rng, keywords[i], sib == i ? none : keywords[sib]), out.intents[i].first});
      }
    }
  }
  if (spec.oos_per_split > 0) {
    for (const char* split : {"oos_train", "oos_val", "oos_test"}) {
      auto& list = data[split] = nlohmann::ordered_json::array();
      for (int n = 0; n < spec.oos_per_split; ++n)
        list.push_back({kOosTexts[rng.Below(kOosTexts.size())], "oos"});
    }
  }
  out.data_full_json = data.dump();
  out.domains_json = domains_json.dump(2);
  return out;
}

Status WriteSyntheticIntents(const std::string& dir, const SyntheticIntents& data) {
  if (Status s = WriteFileAtomically(dir + "/data_full.json", data.data_full_json); !s.ok()) return s;
  return WriteFileAtomically(dir + "/domains.json", data.domains_json + "\n");
}

}  // namespace kaizen::testing
