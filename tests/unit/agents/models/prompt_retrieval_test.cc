// What a prompt model version retrieves per input (format_version 3): its
// example pool and lesson memory, pinned by hash, put into the messages.
#include "agents/models/llm/prompt_retrieval.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "agents/memory/lessons.h"
#include "agents/memory/memory_artifact.h"
#include "agents/models/llm/prompt_tools.h"
#include "tests/unit/agents/models/test_util.h"

namespace {

using kaizen::models::Example;
using namespace kaizen::models::llm;
using kaizen::models::testing::ScratchDir;
namespace memory = kaizen::memory;

PromptModel Base() {
  PromptModel m;
  m.base_model = "kaizen-test";
  m.system_prompt = "Route the message.";
  m.labels = {"transfer", "balance", "book_flight"};
  m.examples = {{"send 20 dollars to my brother", "transfer"}};
  return m;
}

// v1 (no retrieval) and v2 (a pool and lessons written under `dir`).
struct Versions {
  PromptModel v1 = Base(), v2 = Base();
  explicit Versions(const std::string& dir) {
    memory::ExamplePoolFile pool;
    pool.examples = {{"how much money is in savings", "balance"},
                     {"book a plane ticket to paris", "book_flight"},
                     {"a plane seat to tokyo please", "book_flight"},
                     {"wire cash to a friend", "transfer"}};
    auto p = memory::WriteJsonArtifact(dir, "examples", pool.ToJson());
    REQUIRE(p.ok());
    memory::LessonMemory lessons;
    lessons.lessons = {{"When the input mentions plane, ticket, the answer is book_flight.", {"t-1"}, "domain=travel", 1},
                       {"When the input mentions savings, the answer is balance.", {"t-2"}, "domain=banking", 2}};
    auto l = memory::WriteJsonArtifact(dir, "lessons", lessons.ToJson());
    REQUIRE(l.ok());
    v2.example_pool = ExamplePoolRef{p->uri, p->sha256, 2, 0};
    v2.lessons = LessonMemoryRef{l->uri, l->sha256, 1};
  }
};

}  // namespace

TEST_CASE("a version with a pool and lessons is format_version 3 and survives a save and a load") {
  ScratchDir dir;
  Versions v(dir.File("memory"));
  CHECK(v.v1.ToJson()["format_version"] == 1);  // older versions are written as before
  CHECK_FALSE(v.v1.ToJson().contains("example_pool"));
  REQUIRE(SavePromptModel(dir.File("v2.json"), v.v2).ok());
  auto back = LoadPromptModel(dir.File("v2.json"));
  REQUIRE(back.ok());
  CHECK(back->ToJson() == v.v2.ToJson());
  CHECK(back->ToJson()["format_version"] == 3);
  REQUIRE(back->example_pool);
  CHECK(back->example_pool->k == 2);
  REQUIRE(back->lessons);
  CHECK(back->lessons->sha256 == v.v2.lessons->sha256);

  nlohmann::json bad = v.v2.ToJson();
  bad["example_pool"]["k"] = 0;
  std::ofstream(dir.File("bad.json")) << bad.dump();
  auto refused = LoadPromptModel(dir.File("bad.json"));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("example_pool needs a uri, a sha256, k in 1..1000"));
}

TEST_CASE("retrieval: the examples most like the input, most similar last, and the lessons relevant to it") {
  ScratchDir dir;
  Versions v(dir.File("memory"));
  auto r = PromptRetrieval::Load(v.v2);
  REQUIRE(r.ok());
  CHECK(r->pool_size() == 4);
  CHECK(r->lesson_count() == 2);
  const PromptContext c = r->For("a plane ticket to paris for me");
  REQUIRE(c.examples.size() == 2);
  CHECK(c.examples.back().text == "book a plane ticket to paris");  // the closest, next to the input
  CHECK(c.examples.front().text == "a plane seat to tokyo please");
  REQUIRE(c.lessons.size() == 1);
  CHECK(c.lessons[0] == "When the input mentions plane, ticket, the answer is book_flight.");
  CHECK(r->For("zzz qqq").examples.empty());  // nothing shares a word: nothing is shown

  // The messages: lessons before the label list, retrieved examples after the fixed ones.
  const auto msgs = BuildMessages(v.v2, "a plane ticket to paris for me", c);
  REQUIRE(msgs.size() == 1 + 2 * 3 + 1);
  CHECK(msgs[0].content ==
        "Route the message.\n\nLessons from earlier mistakes:\n"
        "- When the input mentions plane, ticket, the answer is book_flight.\n\n"
        "Labels: transfer, balance, book_flight\nAnswer with JSON: {\"label\": \"<one of the labels>\"}");
  CHECK(msgs[1].content == "send 20 dollars to my brother");
  CHECK(msgs[5].content == "book a plane ticket to paris");
  CHECK(msgs[6].content == "{\"label\":\"book_flight\"}");
  CHECK(msgs[7].content == "a plane ticket to paris for me");
}

TEST_CASE("going back to a version restores its memory: v1 retrieves nothing, v2 its own lessons") {
  ScratchDir dir;
  Versions v(dir.File("memory"));
  auto v2 = LoadPromptAssets(v.v2);
  REQUIRE(v2.ok());
  CHECK_FALSE(v2->retrieval.For("plane ticket").lessons.empty());
  auto v1 = LoadPromptAssets(v.v1);
  REQUIRE(v1.ok());
  CHECK(v1->retrieval.empty());
  CHECK(v1->retrieval.For("plane ticket").lessons.empty());
  CHECK(BuildMessages(v.v1, "plane ticket", v1->retrieval.For("plane ticket"))[0].content.find("Lessons") ==
        std::string::npos);
}

TEST_CASE("a version whose memory changed since it was made is not served") {
  ScratchDir dir;
  Versions v(dir.File("memory"));
  const std::string path = v.v2.lessons->uri.substr(std::string("file://").size());
  std::ofstream(path, std::ios::app) << " ";
  auto r = LoadPromptAssets(v.v2);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::StartsWith("the lesson memory at " + v.v2.lessons->uri + " hashes to "));
  std::filesystem::remove(v.v2.example_pool->uri.substr(std::string("file://").size()));
  CHECK_FALSE(PromptRetrieval::Load(v.v2).ok());
}
