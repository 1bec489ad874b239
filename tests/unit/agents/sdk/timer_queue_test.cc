#include "agents/sdk/timer_queue.h"

#include <catch2/catch.hpp>
#include <vector>

using kaizen::sdk::TimerQueue;

TEST_CASE("timers fire in due order, repeat, and can be cancelled", "[sdk]") {
  TimerQueue q;
  std::vector<std::string> fired;
  q.Add(100, 0, [&] { fired.push_back("once@100"); });
  auto rep = q.Add(50, 50, [&] { fired.push_back("every50"); });
  CHECK(q.MsUntilNext(0) == 50);
  q.RunDue(49);
  CHECK(fired.empty());
  q.RunDue(100);
  CHECK(fired == std::vector<std::string>{"every50", "once@100"});
  q.RunDue(150);
  CHECK(fired.size() == 3);
  q.Cancel(rep);
  q.RunDue(1000);
  CHECK(fired.size() == 3);
  CHECK(q.MsUntilNext(1000) == -1);
}

TEST_CASE("a late repeating timer does not fire a burst to catch up", "[sdk]") {
  TimerQueue q;
  int n = 0;
  q.Add(10, 10, [&] { ++n; });
  q.RunDue(1000);
  CHECK(n == 1);
  CHECK(q.MsUntilNext(1000) == 10);
}

TEST_CASE("a timer callback may cancel itself or add timers", "[sdk]") {
  TimerQueue q;
  int n = 0;
  TimerQueue::Id self = 0;
  self = q.Add(10, 10, [&] {
    ++n;
    q.Cancel(self);
    q.Add(20, 0, [&] { n += 10; });
  });
  q.RunDue(10);
  q.RunDue(30);
  CHECK(n == 11);
  CHECK(q.size() == 0);
}
