#include "agents/training/few_shot_selection.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace kaizen::agents {
namespace {

using models::Example;

// Labels in pick order: priority (in the given order, if in the pool), then by count, then by name.
std::vector<std::string> LabelOrder(const std::map<std::string, std::vector<Example>>& by_label,
                                    const std::vector<std::string>& priority) {
  std::vector<std::string> order;
  std::set<std::string> taken;
  for (const auto& l : priority) {
    if (by_label.count(l) && taken.insert(l).second) order.push_back(l);
  }
  std::vector<std::string> rest;
  for (const auto& [l, rows] : by_label) {
    if (!taken.count(l)) rest.push_back(l);
  }
  std::stable_sort(rest.begin(), rest.end(), [&](const std::string& a, const std::string& b) {
    return by_label.at(a).size() > by_label.at(b).size();
  });
  order.insert(order.end(), rest.begin(), rest.end());
  return order;
}

std::map<std::string, std::vector<Example>> GroupShuffled(const std::vector<Example>& pool,
                                                          const std::set<std::string>& skip_texts, uint64_t seed) {
  std::map<std::string, std::vector<Example>> by_label;
  std::set<std::string> seen = skip_texts;
  for (const auto& e : pool) {
    if (e.text.empty() || e.label.empty() || !seen.insert(e.text).second) continue;
    by_label[e.label].push_back(e);
  }
  std::mt19937_64 rng(seed);
  for (auto& [l, rows] : by_label) std::shuffle(rows.begin(), rows.end(), rng);
  return by_label;
}

std::vector<Example> RoundRobin(std::map<std::string, std::vector<Example>>& by_label,
                                const std::vector<std::string>& order, std::size_t want) {
  std::vector<Example> out;
  for (std::size_t round = 0; out.size() < want; ++round) {
    bool any = false;
    for (const auto& l : order) {
      if (out.size() >= want) break;
      auto& rows = by_label[l];
      if (round < rows.size()) {
        out.push_back(rows[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

}  // namespace

std::vector<Example> CoverLabels(const std::vector<Example>& pool, const std::vector<std::string>& priority_labels,
                                 std::size_t shots, uint64_t seed) {
  auto by_label = GroupShuffled(pool, {}, seed);
  return RoundRobin(by_label, LabelOrder(by_label, priority_labels), shots);
}

std::vector<Example> ExtendToCover(const std::vector<Example>& current, const std::vector<Example>& pool,
                                   const std::vector<std::string>& priority_labels, std::size_t shots, uint64_t seed) {
  std::vector<Example> out(current.begin(), current.begin() + static_cast<std::ptrdiff_t>(std::min(shots, current.size())));
  std::set<std::string> texts, covered;
  for (const auto& e : out) {
    texts.insert(e.text);
    covered.insert(e.label);
  }
  auto by_label = GroupShuffled(pool, texts, seed);
  std::vector<std::string> order;
  for (const auto& l : LabelOrder(by_label, priority_labels)) {
    if (!covered.count(l)) order.push_back(l);
  }
  // One example per uncovered label first; further rounds only if room is left.
  auto more = RoundRobin(by_label, order, shots - out.size());
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

}  // namespace kaizen::agents
