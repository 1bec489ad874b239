// The artifacts a version retrieves from: written by content, read only when
// their bytes still hash to what the version pinned.
#include "agents/memory/memory_artifact.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "agents/memory/lessons.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/sha256.h"
#include "tests/support/temp_dir.h"

namespace kaizen::memory {
namespace {

using json = nlohmann::json;

ExamplePoolFile SamplePool() {
  ExamplePoolFile p;
  p.examples = {{"send 20 dollars to my brother", "transfer"}, {"how much money is left", "balance"}};
  p.provenance = {{"cycle", "c1"}};
  return p;
}

}  // namespace

TEST_CASE("an example pool is written under its content address and read back when its hash matches",
          "[memory]") {
  testing::TempDir dir("memory-artifact");
  const json doc = SamplePool().ToJson();
  auto w = WriteJsonArtifact(dir.file("memory"), "examples", doc);
  REQUIRE(w.ok());
  CHECK(w->path == dir.file("memory") + "/examples-" + w->sha256.substr(0, 12) + ".json");
  CHECK(w->uri == "file://" + w->path);
  auto bytes = ReadWholeFile(w->path, 1 << 20);
  REQUIRE(bytes.ok());
  CHECK(Sha256Hex(*bytes) == w->sha256);
  // The same content is the same file.
  auto again = WriteJsonArtifact(dir.file("memory"), "examples", doc);
  REQUIRE(again.ok());
  CHECK(again->path == w->path);

  auto j = ReadVerifiedJson("the pool", w->uri, w->sha256);
  REQUIRE(j.ok());
  auto pool = ExamplePoolFile::FromJson(*j);
  REQUIRE(pool.ok());
  REQUIRE(pool->examples.size() == 2);
  CHECK(pool->examples[0].text == "send 20 dollars to my brother");
  CHECK(pool->examples[1].label == "balance");
  CHECK(pool->provenance["cycle"] == "c1");
}

TEST_CASE("a memory artifact changed after its version pinned it is refused, naming it and both hashes",
          "[memory]") {
  testing::TempDir dir("memory-artifact");
  LessonMemory m;
  m.lessons = {{"Refunds over 30 days go to billing_dispute.", {"t-1"}, "domain=billing", 1}};
  auto w = WriteJsonArtifact(dir.path().string(), "lessons", m.ToJson());
  REQUIRE(w.ok());
  {
    std::string text = *ReadWholeFile(w->path, 1 << 20);
    text[text.find("30")] = '9';  // one byte
    std::ofstream(w->path, std::ios::trunc) << text;
  }
  auto j = ReadVerifiedJson("the lessons of v2", w->uri, w->sha256);
  REQUIRE_FALSE(j.ok());
  CHECK(j.status().code() == Status::Code::kCorruption);
  CHECK_THAT(j.status().message(), Catch::StartsWith("the lessons of v2 at " + w->uri + " hashes to ") &&
                                       Catch::EndsWith(", not " + w->sha256));
  CHECK_FALSE(ReadVerifiedJson("x", "file:///nonexistent/lessons.json", w->sha256).ok());
  auto s3 = ReadVerifiedJson("the pool", "s3://bucket/pool.json", w->sha256);
  REQUIRE_FALSE(s3.ok());
  CHECK_THAT(s3.status().message(), Catch::Contains("not a file:// URI"));
}

TEST_CASE("an example pool with a bad entry is Corruption naming the entry", "[memory]") {
  CHECK_FALSE(ExamplePoolFile::FromJson(json{{"format", "kaizen.lessons/v1"}}).ok());
  json j = SamplePool().ToJson();
  j["examples"][1]["output"] = 3;
  auto p = ExamplePoolFile::FromJson(j);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message() == "example pool: examples[1]: needs a string input and a string output");
}

}  // namespace kaizen::memory
