// Background: a loop on its own thread that runs until destroyed. The loop
// gets the stop flag and should check it at least every 100 ms. The thread
// is named (at most 15 characters) so profilers can tell them apart.
#pragma once

#include <pthread.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace kaizen::bench {

class Background {
 public:
  Background(const std::string& name, std::function<void(const std::atomic<bool>& stop)> loop)
      : thread_([this, loop = std::move(loop)] { loop(stop_); }) {
    ::pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
  }
  ~Background() {
    stop_ = true;
    thread_.join();
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kaizen::bench
