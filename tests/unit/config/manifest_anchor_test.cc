// YAML anchors and aliases in manifests (manifests/my-intents.yaml writes its
// known domains once, &known_domains, and repeats them with *known_domains):
// they load, and errors still name the right file:line:column.
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;

namespace {

// A builtin-classifier worker and a simulator sharing one domain list. The
// data file is this test's own source: validation only checks that it exists.
std::string WithDomains(const std::string& anchored, const std::string& simulator_extra = "",
                        const std::string& before = "*known") {
  return "apiVersion: kaizen.dev/v1\n"                                          // 1
         "kind: Cluster\n"                                                      // 2
         "metadata: {name: t}\n"                                                // 3
         "spec:\n"                                                              // 4
         "  data:\n"                                                            // 5
         "    intents: {path: " __FILE__ ", format: jsonl}\n"                   // 6
         "  worker:\n"                                                          // 7
         "    skill:\n"                                                         // 8
         "      backend: builtin-classifier\n"                                  // 9
         "      train:\n"                                                       // 10
         "        dataset: intents\n"                                           // 11
         "        domains: &known " + anchored + "\n"                           // 12
         "  simulator:\n"                                                       // 13
         "    dataset: intents\n"                                               // 14
         "    before_drift_domains: " + before + "\n" +                         // 15
         simulator_extra;                                                       // 16
}

std::vector<std::string> AnchorErrorLines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(d.ToString());
  return out;
}

}  // namespace

TEST_CASE("a list written once with an anchor and repeated with an alias loads in both places", "[config][anchors]") {
  LoadResult r = LoadManifestString(WithDomains("[garden, library]"), "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  const auto& spec = r.manifest.spec;
  const nlohmann::json want = {"garden", "library"};
  CHECK(spec["worker"]["skill"]["train"]["domains"] == want);
  CHECK(spec["simulator"]["before_drift_domains"] == want);

  // Block style, anchors on a mapping, and an alias of a scalar.
  const std::string yaml = "apiVersion: kaizen.dev/v1\n"
                           "kind: Cluster\n"
                           "metadata: {name: &name t}\n"
                           "spec:\n"
                           "  data:\n"
                           "    intents: &file {path: " __FILE__ ", format: jsonl}\n"
                           "    again: *file\n"
                           "  worker:\n"
                           "    skill:\n"
                           "      backend: builtin-classifier\n"
                           "      train:\n"
                           "        dataset: intents\n"
                           "        domains: &known\n"
                           "          - garden\n"
                           "          - library\n"
                           "  simulator: {dataset: intents, before_drift_domains: *known}\n"
                           "  gateway: {model: *name}\n";
  LoadResult block = LoadManifestString(yaml, "m.yaml");
  INFO(Dump(block));
  REQUIRE(block.ok());
  CHECK(block.manifest.spec["simulator"]["before_drift_domains"] == want);
  CHECK(block.manifest.spec["data"]["again"]["path"] == block.manifest.spec["data"]["intents"]["path"]);
  CHECK(block.manifest.spec["gateway"]["model"] == "t");
}

TEST_CASE("an alias used where it does not fit is reported at the key that uses it", "[config][anchors]") {
  // split wants a string; the alias stands for a list. The mistake is on line 16,
  // not at the anchor on line 12.
  LoadResult r = LoadManifestString(WithDomains("[garden, library]", "    split: *known\n"), "m.yaml");
  CHECK(AnchorErrorLines(r) ==
        std::vector<std::string>{"m.yaml:16:5: error: spec.simulator.split: expected string, found a list"});
}

TEST_CASE("an error inside an anchored list is reported where it is written for each use", "[config][anchors]") {
  LoadResult r = LoadManifestString(WithDomains("[garden, {x: 1}]"), "m.yaml");
  CHECK(AnchorErrorLines(r) == std::vector<std::string>{
                        "m.yaml:12:34: error: spec.worker.skill.train.domains[1]: expected string, found a mapping",
                        "m.yaml:12:34: error: spec.simulator.before_drift_domains[1]: expected string, found a mapping",
                    });
}

TEST_CASE("an alias to an undefined anchor is a syntax error at the alias", "[config][anchors]") {
  LoadResult r = LoadManifestString(WithDomains("[garden]", "", "*knwon"), "m.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 15);
  CHECK(r.errors[0].column == 27);
  CHECK_THAT(r.errors[0].message, Catch::Contains("anchor is not defined"));
}

TEST_CASE("my-intents.yaml validates and writes its known domains once", "[config][anchors]") {
  const std::string path = std::string(KAIZEN_SOURCE_DIR) + "/manifests/my-intents.yaml";
  LoadResult r = LoadManifestFile(path);
  INFO(Dump(r));
  REQUIRE(r.ok());
  const auto& spec = r.manifest.spec;
  const auto& known = spec["worker"]["skill"]["train"]["domains"];
  CHECK_FALSE(known.empty());
  CHECK(spec["simulator"]["before_drift_domains"] == known);
  CHECK(spec["simulator"]["after_drift_domains"].empty());
  CHECK(spec["teachers"][0]["train"]["domains"].empty());
  CHECK(spec["data"].size() == 1);
}
