// TrafficPolicy: which worker instance serves a task. Either one instance
// takes everything, or an A/B split sends a share of routing keys to the
// candidate. The split is sticky: a routing key (a user) always lands on the
// same arm while the weight stays the same, and raising the weight only moves
// users from the incumbent to the candidate, never back.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kaizen::router {

class TrafficPolicy {
 public:
  // Everything to `instance`.
  void SetSingle(const std::string& instance);
  // A share `candidate_weight` in [0, 1] of routing keys to `candidate`, the rest to `incumbent`.
  void SetSplit(const std::string& incumbent, const std::string& candidate, double candidate_weight);

  // The instance for `routing_key`. When the chosen instance cannot serve
  // (`can_serve` false), the other arm is tried; "" when neither can.
  std::string Pick(std::string_view routing_key, const std::function<bool(const std::string&)>& can_serve) const;

  bool split() const { return split_; }
  const std::string& primary() const { return primary_; }      // the single instance, or the incumbent arm
  const std::string& candidate() const { return candidate_; }  // "" unless split
  double candidate_weight() const { return split_ ? weight_ : 0.0; }
  std::string Describe() const;  // "all -> worker" or "worker-clone 90% / worker 10%"

  // Stable bucket in [0, 10000) of a routing key (FNV-1a); exposed for tests.
  static uint32_t Bucket(std::string_view routing_key);

 private:
  bool split_ = false;
  std::string primary_, candidate_;
  double weight_ = 0;
};

}  // namespace kaizen::router
