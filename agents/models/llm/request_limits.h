// Limits on requests to one endpoint: at most N in flight (a counting
// semaphore) and at most R started per second (a token bucket holding up to
// max(1, R) tokens, so a burst of R may start at once after a quiet second).
// Callers over either limit wait; nothing is refused.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kaizen::models::llm {

class RequestLimits {
 public:
  RequestLimits(int max_in_flight, double per_second);

  // Releases its in-flight slot when destroyed.
  class Slot {
   public:
    explicit Slot(RequestLimits* owner) : owner_(owner) {}
    Slot(Slot&& o) noexcept : owner_(o.owner_) { o.owner_ = nullptr; }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() { if (owner_) owner_->Release(); }
   private:
    RequestLimits* owner_;
  };

  // Waits for a rate token, then for a free slot.
  Slot Acquire();
  int in_flight() const;

 private:
  void TakeToken();
  void Release();

  const int max_in_flight_;
  const double per_second_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  int in_flight_ = 0;
  double tokens_;
  std::chrono::steady_clock::time_point refilled_;
};

}  // namespace kaizen::models::llm
