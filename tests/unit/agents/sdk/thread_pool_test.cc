#include "agents/sdk/thread_pool.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

using kaizen::sdk::ThreadPool;

TEST_CASE("a thread pool runs every posted job and the jobs still queued when it is destroyed") {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) {
      pool.Post([&ran] {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ++ran;
      });
    }
  }
  CHECK(ran == 100);
}

TEST_CASE("a thread pool runs jobs off the posting thread and at most its size at once") {
  std::atomic<int> running{0}, most{0};
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> elsewhere{true};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 30; ++i) {
      pool.Post([&] {
        elsewhere = elsewhere && std::this_thread::get_id() != caller;
        const int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --running;
      });
    }
  }
  CHECK(elsewhere);
  CHECK(most <= 3);
  CHECK(most >= 1);
}
