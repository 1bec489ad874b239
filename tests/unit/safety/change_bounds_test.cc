// spec.planning.bounds: strategies, prohibited modifications, cycles per day.
#include <catch2/catch.hpp>

#include "runtime/safety/change_bounds.h"

using namespace kaizen::safety;
using kaizen::Status;

TEST_CASE("change bounds: an empty section reads the schema's defaults: every strategy, nothing prohibited, no daily limit",
          "[safety]") {
  const ChangeBounds b = ChangeBounds::FromPlanning(nlohmann::json::object());
  CHECK(b.allowed_strategies ==
        std::vector<std::string>{"teacher_samples", "human_demonstrations", "prompt_optimization", "few_shot",
                                 "dynamic_examples", "reflection"});
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
  CHECK(ModificationsOf("dynamic_examples", "prompt") == std::vector<std::string>{"examples"});
  CHECK(ModificationsOf("reflection", "prompt") == std::vector<std::string>{"memory"});
  CHECK(ModificationsOf("tool_creation", "prompt") == std::vector<std::string>{"tools"});
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
  b.prohibited_modifications = {"memory"};
  CHECK(CheckStrategy(b, "dynamic_examples", "prompt").ok());
  CHECK(CheckStrategy(b, "reflection", "prompt").message() ==
        "strategy reflection (training backend prompt) changes the memory, which "
        "spec.planning.bounds.prohibited_modifications forbids");
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

TEST_CASE("change bounds: parameters within their ranges pass, one outside is named with its range", "[safety]") {
  ChangeBounds b;
  b.parameter_ranges["teacher_calls"] = {10.0, 2000.0};
  b.parameter_ranges["epochs"] = {std::nullopt, 10.0};
  b.parameter_ranges["shots"] = {2.0, std::nullopt};
  CHECK(CheckParameters(b, {{"teacher_calls", 2000}, {"epochs", 3}, {"replay_fraction", 0.9}}, "the plan").ok());
  CHECK(CheckParameters(b, {}, "the plan").ok());  // a range for a knob the plan lacks is fine
  CHECK(CheckParameters(b, {{"temperature", 9}}, "the plan").ok());  // no range: not checked
  Status s = CheckParameters(b, {{"teacher_calls", 3000}}, "the plan");
  CHECK(s.code() == Status::Code::kFailedPrecondition);
  CHECK(s.message() == "the plan sets teacher_calls 3000, outside spec.planning.bounds.parameter_ranges.teacher_calls "
                       "[10, 2000]");
  CHECK(CheckParameters(b, {{"epochs", 12}}, "the candidate").message() ==
        "the candidate sets epochs 12, outside spec.planning.bounds.parameter_ranges.epochs (at most 10)");
  CHECK(CheckParameters(b, {{"shots", 0.5}}, "the plan").message() ==
        "the plan sets shots 0.5, outside spec.planning.bounds.parameter_ranges.shots (at least 2)");
  CHECK(CheckParameters(b, {{"teacher_calls", 10}}, "the plan").ok());  // inclusive
}

TEST_CASE("change bounds: Clamp moves a value into its range and leaves an open end open", "[safety]") {
  const ParameterRange r{10.0, 2000.0};
  CHECK(Clamp(r, 3000) == 2000);
  CHECK(Clamp(r, 3) == 10);
  CHECK(Clamp(r, 500) == 500);
  CHECK(Clamp(ParameterRange{std::nullopt, 5.0}, -7) == -7);
  CHECK(RangeText(ParameterRange{}) == "(any value)");
  CHECK(NumberText(0.25) == "0.25");
  CHECK(NumberText(3000) == "3000");
}
