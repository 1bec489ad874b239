// docs/manifest.md stays true to the schema: every key is documented, and
// its reference part is exactly what the schema renders.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "config/manifest_schema.h"
#include "config/markdown.h"

using namespace kaizen::config;

namespace {

std::string ReadDocs() {
  std::ifstream in(std::string(KAIZEN_SOURCE_DIR) + "/docs/manifest.md");
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the schema knows every key path, including lists, maps and union variants", "[config][docs]") {
  auto paths = SchemaKeyPaths(ManifestSchema());
  auto has = [&](const std::string& p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); };
  CHECK(has("apiVersion"));
  CHECK(has("spec.runtime.heartbeat.interval_ms"));
  CHECK(has("spec.data.<name>.path"));
  CHECK(has("spec.teachers[].name"));
  CHECK(has("spec.monitoring.triggers[].every_s"));
  CHECK(has("spec.monitoring.triggers[].false_alarm_rate"));
  CHECK(has("spec.monitoring.triggers[].min_gain"));
  CHECK(has("spec.deployment.restart.window_s"));
  CHECK(has("spec.simulator.feedback_noise"));
  CHECK(std::count(paths.begin(), paths.end(), "spec.monitoring.triggers[].policy") == 1);
}

TEST_CASE("docs/manifest.md documents every key the schema knows", "[config][docs]") {
  const std::string docs = ReadDocs();
  for (const auto& path : SchemaKeyPaths(ManifestSchema())) {
    INFO(path);
    CHECK(docs.find("`" + path + "`") != std::string::npos);
  }
}

TEST_CASE("docs/manifest.md holds the reference exactly as the schema renders it", "[config][docs]") {
  std::string docs = ReadDocs();
  std::string regenerated = docs;
  REQUIRE(ReplaceReference(&regenerated, RenderSchemaMarkdown(ManifestSchema())));
  INFO("docs/manifest.md is stale: run `build/config/kaizen_manifest_docs --update docs/manifest.md`");
  CHECK(regenerated == docs);
}
