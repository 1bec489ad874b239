// spec.planning.bounds checked at validate against the rest of the manifest:
// a strategy within the bounds, ranges with min <= max, the knobs the
// manifest sets inside their ranges, a budget that reaches teacher_calls.min.
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;

namespace {

// The one error at `path`, as FILE:LINE:COLUMN: error: PATH: MESSAGE.
std::string ErrorAt(const LoadResult& r, const std::string& path) {
  std::vector<std::string> found;
  for (const auto& d : r.errors)
    if (d.path == path) found.push_back(d.ToString());
  INFO("errors:\n" << Dump(r));
  REQUIRE(found.size() == 1);
  return found[0];
}

}  // namespace

TEST_CASE("bounds at validate: strategies that all fall outside the bounds are an error naming each bound",
          "[config][bounds]") {
  LoadResult r = LoadManifestString(Minimal("  training: {backend: prompt}\n"          // 8
                                            "  planning:\n"                             // 9
                                            "    strategies: [teacher_samples, few_shot]\n"  // 10
                                            "    bounds:\n"                             // 11
                                            "      allowed_strategies: [teacher_samples, prompt_optimization]\n"
                                            "      prohibited_modifications: [instructions]\n"),
                                    "m.yaml");
  CHECK(ErrorAt(r, "spec.planning.strategies") ==
        "m.yaml:10:17: error: spec.planning.strategies: no strategy of the list is within spec.planning.bounds, so no "
        "plan could be made: strategy teacher_samples (training backend prompt) changes the instructions, which "
        "spec.planning.bounds.prohibited_modifications forbids; strategy few_shot is not in "
        "spec.planning.bounds.allowed_strategies (teacher_samples, prompt_optimization)");
  // With the classifier trainer teacher_samples changes weights only: within the bounds.
  LoadResult ok = LoadManifestString(Minimal("  planning:\n"
                                             "    strategies: [teacher_samples]\n"
                                             "    bounds: {prohibited_modifications: [instructions]}\n"),
                                     "m.yaml");
  INFO(Dump(ok));
  CHECK(ok.ok());
}

TEST_CASE("bounds at validate: a knob outside its range is an error at the knob, naming the range",
          "[config][bounds]") {
  LoadResult r = LoadManifestString(Minimal("  training:\n"                    // 8
                                            "    epochs: 50\n"                 // 9
                                            "    replay_fraction: 0.5\n"       // 10
                                            "  planning:\n"                    // 11
                                            "    bounds:\n"                    // 12
                                            "      parameter_ranges:\n"        // 13
                                            "        epochs: {min: 1, max: 10}\n"
                                            "        replay_fraction: {min: 0.2}\n"
                                            "        shots: {max: 2}\n"),      // not used by a builtin trainer
                                    "m.yaml");
  CHECK(r.errors.size() == 1);
  CHECK(ErrorAt(r, "spec.training.epochs") ==
        "m.yaml:9:13: error: spec.training.epochs: expected a value within "
        "spec.planning.bounds.parameter_ranges.epochs [1, 10], found 50");
}

TEST_CASE("bounds at validate: a default outside its range is blamed on the range", "[config][bounds]") {
  LoadResult r = LoadManifestString(Minimal("  training: {backend: prompt}\n"  // 8
                                            "  planning:\n"                    // 9
                                            "    bounds:\n"                    // 10
                                            "      parameter_ranges:\n"        // 11
                                            "        shots: {max: 4}\n"),      // 12
                                    "m.yaml");
  CHECK(ErrorAt(r, "spec.planning.bounds.parameter_ranges.shots") ==
        "m.yaml:12:16: error: spec.planning.bounds.parameter_ranges.shots: spec.training.prompt.shots is 8 (its "
        "default), outside this range (at most 4); set spec.training.prompt.shots within it");
}

TEST_CASE("bounds at validate: the worker's temperature is checked against its range", "[config][bounds]") {
  const std::string yaml =
      "apiVersion: kaizen.dev/v1\n"
      "kind: Cluster\n"
      "metadata:\n"
      "  name: t\n"
      "spec:\n"
      "  worker:\n"
      "    skill:\n"
      "      backend: openai\n"
      "      openai: {base_url: 'http://127.0.0.1:1/v1', model: m, temperature: 1.5}\n"  // 9
      "  planning:\n"
      "    bounds: {parameter_ranges: {temperature: {max: 1}}}\n";
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  CHECK(ErrorAt(r, "spec.worker.skill.openai.temperature") ==
        "m.yaml:9:74: error: spec.worker.skill.openai.temperature: expected a value within "
        "spec.planning.bounds.parameter_ranges.temperature (at most 1), found 1.5");
}

TEST_CASE("bounds at validate: a range with min above max is an error at the range", "[config][bounds]") {
  LoadResult r = LoadManifestString(Minimal("  planning:\n"                       // 8
                                            "    bounds:\n"                       // 9
                                            "      parameter_ranges:\n"           // 10
                                            "        teacher_calls: {min: 500, max: 100}\n"),  // 11
                                    "m.yaml");
  CHECK(ErrorAt(r, "spec.planning.bounds.parameter_ranges.teacher_calls") ==
        "m.yaml:11:24: error: spec.planning.bounds.parameter_ranges.teacher_calls: expected min <= max, found min 500 "
        "> max 100 (no value of teacher_calls would be allowed)");
}

TEST_CASE("bounds at validate: a teacher budget below teacher_calls.min is an error, one above its max is not",
          "[config][bounds]") {
  LoadResult r = LoadManifestString(Minimal("  planning:\n"                          // 8
                                            "    teacher_budget: {max_calls: 50}\n"  // 9
                                            "    bounds: {parameter_ranges: {teacher_calls: {min: 100}}}\n"),
                                    "m.yaml");
  CHECK(ErrorAt(r, "spec.planning.teacher_budget.max_calls") ==
        "m.yaml:9:33: error: spec.planning.teacher_budget.max_calls: teacher_budget.max_calls 50 is below "
        "spec.planning.bounds.parameter_ranges.teacher_calls.min 100: no plan could buy enough teacher calls");
  LoadResult ok = LoadManifestString(Minimal("  planning:\n"
                                             "    teacher_budget: {max_calls: 5000}\n"
                                             "    bounds: {parameter_ranges: {teacher_calls: {min: 10, max: 100}}}\n"),
                                     "m.yaml");
  INFO(Dump(ok));
  CHECK(ok.ok());
}

TEST_CASE("bounds at validate: dynamic_examples retrieves k examples per input, bounded as shots",
          "[config][bounds][memory]") {
  const std::string manifest = Minimal("  training:\n"                       // 8
                                       "    backend: prompt\n"               // 9
                                       "    prompt: {retrieved_examples: 12}\n"  // 10
                                       "  planning:\n"                       // 11
                                       "    strategies: [STRATEGY]\n"        // 12
                                       "    bounds:\n"
                                       "      parameter_ranges: {shots: {max: 8}}\n");
  auto with = [&](const std::string& strategy) {
    std::string m = manifest;
    m.replace(m.find("STRATEGY"), 8, strategy);
    return LoadManifestString(m, "m.yaml");
  };
  CHECK(ErrorAt(with("dynamic_examples"), "spec.training.prompt.retrieved_examples") ==
        "m.yaml:10:34: error: spec.training.prompt.retrieved_examples: expected a value within "
        "spec.planning.bounds.parameter_ranges.shots (at most 8), found 12");
  const LoadResult other = with("teacher_samples");  // k is not used
  INFO(Dump(other));
  CHECK(other.ok());
}

TEST_CASE("reflection at validate: a critic or an openai teacher is needed to write the lessons", "[config][memory]") {
  const std::string base = Minimal("  training: {backend: prompt}\n"
                                   "  planning:\n"
                                   "    strategies: [reflection]\n");  // 10
  CHECK(ErrorAt(LoadManifestString(base, "m.yaml"), "spec.planning.strategies") ==
        "m.yaml:10:17: error: spec.planning.strategies: reflection needs a critic to write its lessons: set "
        "spec.planning.critic (an OpenAI-compatible endpoint) or add a teacher with backend openai to spec.teachers");
  const LoadResult critic = LoadManifestString(
      base + "    critic: {base_url: \"http://127.0.0.1:9/v1\", model: critic}\n", "m.yaml");
  INFO(Dump(critic));
  CHECK(critic.ok());
}
