// spec.planning.bounds: strategies, prohibited modifications, cycles per day.
#include <catch2/catch.hpp>

#include "runtime/safety/change_bounds.h"

using namespace kaizen::safety;
using kaizen::Status;

TEST_CASE("change bounds: an empty section reads the schema's defaults: every strategy, nothing prohibited, no daily limit",
          "[safety]") {
  const ChangeBounds b = ChangeBounds::FromPlanning(nlohmann::json::object());
  CHECK(b.allowed_strategies ==
        std::vector<std::string>{"teacher_samples", "human_demonstrations", "prompt_optimization", "few_shot"});
  CHECK(b.prohibited_modifications.empty());
  CHECK(b.max_cycles_per_day == 0);
  const ChangeBounds set = ChangeBounds::FromPlanning(
      {{"bounds", {{"allowed_strategies", {"few_shot"}}, {"prohibited_modifications", {"instructions"}}, {"max_cycles_per_day", 3}}}});
  CHECK(set.allowed_strategies == std::vector<std::string>{"few_shot"});
  CHECK(set.prohibited_modifications == std::vector<std::string>{"instructions"});
  CHECK(set.max_cycles_per_day == 3);
}

TEST_CASE("change bounds: what each strategy changes depends on how training runs", "[safety]") {
  CHECK(ModificationsOf("teacher_samples", "builtin") == std::vector<std::string>{"weights"});
  CHECK(ModificationsOf("human_demonstrations", "slurm") == std::vector<std::string>{"weights"});
  CHECK(ModificationsOf("teacher_samples", "prompt") == std::vector<std::string>{"instructions", "examples"});
  CHECK(ModificationsOf("prompt_optimization", "prompt") == std::vector<std::string>{"instructions", "examples"});
  CHECK(ModificationsOf("few_shot", "prompt") == std::vector<std::string>{"examples"});
}

TEST_CASE("change bounds: a strategy not allowed, or one that changes a prohibited part, is refused by name",
          "[safety]") {
  ChangeBounds b = ChangeBounds::FromPlanning(nlohmann::json::object());
  CHECK(CheckStrategy(b, "teacher_samples", "builtin").ok());
  b.allowed_strategies = {"human_demonstrations"};
  Status s = CheckStrategy(b, "teacher_samples", "builtin");
  CHECK(s.code() == Status::Code::kFailedPrecondition);
  CHECK(s.message() == "strategy teacher_samples is not in spec.planning.bounds.allowed_strategies (human_demonstrations)");
  b = ChangeBounds::FromPlanning(nlohmann::json::object());
  b.prohibited_modifications = {"instructions"};
  CHECK(CheckStrategy(b, "few_shot", "prompt").ok());  // examples only
  s = CheckStrategy(b, "teacher_samples", "prompt");
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("changes the instructions, which spec.planning.bounds.prohibited_modifications forbids") !=
        std::string::npos);
  CHECK(CheckStrategy(b, "teacher_samples", "builtin").ok());  // a classifier has no instructions
}

TEST_CASE("change bounds: max_cycles_per_day counts the cycles started in the last 24 hours", "[safety]") {
  ChangeBounds b;
  const int64_t hour = 3'600'000, now = 100 * hour;
  CHECK(CheckCyclesPerDay(b, {now - hour, now - 2 * hour}, now).ok());  // 0: no limit
  b.max_cycles_per_day = 2;
  CHECK(CheckCyclesPerDay(b, {now - 30 * hour, now - hour}, now).ok());  // one is older than a day
  Status s = CheckCyclesPerDay(b, {now - 23 * hour, now - hour}, now);
  CHECK_FALSE(s.ok());
  CHECK(s.message() == "2 cycles started in the last 24 hours and spec.planning.bounds.max_cycles_per_day is 2; the "
                       "next may start in 60 min");
}
