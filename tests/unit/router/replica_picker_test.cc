// ReplicaPicker: least outstanding among the replicas that can serve, ties in turn.
#include <catch2/catch.hpp>

#include <map>

#include "runtime/router/replica_picker.h"

using kaizen::router::ReplicaPicker;

TEST_CASE("replica picker: the replica with the fewest tasks in flight, skipping those that cannot serve", "[router]") {
  ReplicaPicker picker;
  std::map<std::string, std::size_t> load{{"w", 5}, {"w-2", 1}, {"w-3", 3}};
  std::map<std::string, bool> up{{"w", true}, {"w-2", true}, {"w-3", true}};
  auto can = [&](const std::string& r) { return up[r]; };
  auto held = [&](const std::string& r) { return load[r]; };
  const std::vector<std::string> replicas{"w", "w-2", "w-3"};
  for (int i = 0; i < 5; ++i) CHECK(picker.Pick(replicas, can, held) == "w-2");
  up["w-2"] = false;
  CHECK(picker.Pick(replicas, can, held) == "w-3");
  up["w"] = up["w-3"] = false;
  CHECK(picker.Pick(replicas, can, held).empty());
  CHECK(picker.Pick({}, can, held).empty());
  CHECK(picker.Pick({"w"}, can, held).empty());
  up["w"] = true;
  CHECK(picker.Pick({"w"}, can, held) == "w");
}

TEST_CASE("replica picker: equal loads are taken in turn, and load that follows the picks spreads evenly",
          "[router]") {
  ReplicaPicker picker;
  std::map<std::string, std::size_t> load;
  auto can = [](const std::string&) { return true; };
  auto held = [&](const std::string& r) { return load[r]; };
  const std::vector<std::string> replicas{"a", "b", "c", "d"};
  std::map<std::string, int> picked;
  for (int i = 0; i < 8; ++i) ++picked[picker.Pick(replicas, can, held)];  // nothing held: in turn
  CHECK(picked == std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}});
  // Tasks that stay in flight: each pick goes where least is held.
  for (int i = 0; i < 400; ++i) ++load[picker.Pick(replicas, can, held)];
  for (const auto& r : replicas) CHECK(load[r] == 100);
}
