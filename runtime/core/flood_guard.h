// FloodGuard: a token bucket per registered peer, and one shared by all
// unregistered ones. A peer that sends faster than its rate (after a burst)
// has its messages dropped and counted, so one noisy or hostile peer cannot
// starve the others of the runtime's single loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace kaizen::core {

class FloodGuard {
 public:
  // rate_per_s <= 0 turns the guard off.
  FloodGuard(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst) {}

  // Whether a message from `peer` may be handled now; false means drop it.
  // `known`: the peer has registered (a connected agent, or a client that
  // said Hello). Peers not known share one bucket of the same rate and get
  // none of their own: a peer that makes up a new identity per message is
  // held to that rate all the same, and identities nobody registered cannot
  // grow the table of buckets.
  bool Admit(const std::string& peer, int64_t now_ms, bool known = true);

  uint64_t limited() const { return limited_; }
  uint64_t limited_unknown() const { return limited_unknown_; }  // of limited(), from unknown peers
  size_t peers() const { return buckets_.size(); }               // buckets held (known peers only)
  // True for the first refusal of a flood and then every 10,000th (for logs).
  bool ShouldLog() const { return limited_ == 1 || limited_ % 10000 == 0; }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;
  };
  // Refills `b` up to `now_ms` and takes one token if there is one.
  bool Take(Bucket& b, bool fresh, int64_t now_ms) const;

  double rate_, burst_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket unknown_;  // shared by every peer not (yet) registered
  bool unknown_started_ = false;
  uint64_t limited_ = 0, limited_unknown_ = 0;
  int64_t last_prune_ms_ = 0;
};

}  // namespace kaizen::core
