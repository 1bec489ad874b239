// tool_creation: the teacher's request, and CreateTool with the OpenAI test
// server as the teacher (its tool-writer rule, real HTTP) and the tool's tests
// run in the real bubblewrap sandbox. Without bubblewrap these fail with the
// reason, they never skip.
#include "agents/training/tool_creation.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/llm/chat_client.h"
#include "agents/tools/sandbox.h"
#include "agents/tools/tool_artifact.h"
#include "runtime/base/sha256.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/support/temp_dir.h"

namespace {

using tc_json = nlohmann::json;
namespace tc_llm = kaizen::models::llm;
namespace tc_agents = kaizen::agents;

// The failures of an arithmetic category: the test server writes `calculate`.
std::vector<kaizen::models::Example> TcArithmetic() {
  return {{"what is 12 times 7", "84"}, {"what is 9 plus 10", "19"}, {"what is 20 minus 5", "15"}};
}

struct TcTeacher {
  kaizen::testing::TempDir dir{"tool-creation"};
  kaizen::testing::OpenAiTestServer server{kaizen::testing::OpenAiTestServerOptions{}};
  std::unique_ptr<tc_llm::ChatClient> client;

  explicit TcTeacher(const std::string& model) {
    const kaizen::Status s = kaizen::tools::SandboxAvailable();
    INFO(s.ToString());
    REQUIRE(s.ok());
    REQUIRE(server.Start().ok());
    tc_llm::ChatClientConfig c;
    c.base_url = server.base_url();
    c.model = model;
    c.max_tokens = 4096;
    c.backoff_initial = std::chrono::milliseconds(1);
    c.backoff_max = std::chrono::milliseconds(5);
    c.jitter_seed = 3;
    auto made = tc_llm::ChatClient::Create(std::move(c));
    REQUIRE(made.ok());
    client = std::move(*made);
  }

  tc_agents::ToolCreationJob Job(std::vector<kaizen::models::Example> failures) const {
    tc_agents::ToolCreationJob job;
    job.category = "domain=arithmetic";
    job.failures = std::move(failures);
    job.tools_dir = dir.file("tools");
    job.provenance = {{"cycle", "c-7"}, {"teacher", "gpt"}};
    return job;
  }
};

}  // namespace

TEST_CASE("tool writer request: the category line only when set and at most max_failures_shown lines",
          "[training][tools]") {
  tc_agents::ToolCreationJob job;
  job.failures = {{"what is \"12\" times\n7", "84"}, {"what is 9 plus 10", "19"}, {"what is 20 minus 5", "15"}};
  CHECK(tc_agents::ToolWriterRequest(job) ==
        "Failures:\n"
        "- \"what is '12' times 7\" -> 84\n"
        "- \"what is 9 plus 10\" -> 19\n"
        "- \"what is 20 minus 5\" -> 15\n");
  job.category = "domain=arithmetic";
  job.max_failures_shown = 2;
  CHECK(tc_agents::ToolWriterRequest(job) ==
        "Category: domain=arithmetic\n"
        "Failures:\n"
        "- \"what is '12' times 7\" -> 84\n"
        "- \"what is 9 plus 10\" -> 19\n");
  job.max_failures_shown = 0;
  CHECK(tc_agents::ToolWriterRequest(job) == "Category: domain=arithmetic\nFailures:\n");
  job.failures.clear();
  job.max_failures_shown = 20;
  CHECK(tc_agents::ToolWriterRequest(job) == "Category: domain=arithmetic\nFailures:\n");
}

TEST_CASE("create tool: the teacher's calculator passes its tests and is written accepted", "[training][tools]") {
  TcTeacher t("kaizen-test");
  const tc_agents::ToolCreationJob job = t.Job(TcArithmetic());
  auto created = tc_agents::CreateTool(*t.client, job, "tool_creation:c-7");
  INFO(created.status().ToString());
  REQUIRE(created.ok());
  INFO(created->artifact.reason);
  CHECK(created->accepted());
  CHECK(created->artifact.status == "accepted");
  CHECK(created->artifact.spec.name == "calculate");
  CHECK(created->artifact.reason == "passed 5 of 5 tests");  // three failures and two of its own
  REQUIRE(created->artifact.spec.tests.size() == 5);
  CHECK(created->artifact.spec.tests[0].arguments == tc_json({{"question", "what is 12 times 7"}}));
  CHECK(created->artifact.spec.tests[0].expected == 84);

  // The artifact file, under tools_dir, at its content address.
  const std::string& path = created->written.path;
  CHECK(path == job.tools_dir + "/calculate-" + created->artifact.spec.ContentHash().substr(0, 12) + ".json");
  CHECK(std::filesystem::exists(path));
  CHECK(created->written.uri == "file://" + path);
  CHECK(*kaizen::Sha256File(path) == created->written.sha256);

  // Provenance: the job's, plus the category and the failures shown.
  const tc_json& p = created->artifact.provenance;
  CHECK(p["cycle"] == "c-7");
  CHECK(p["teacher"] == "gpt");
  CHECK(p["category"] == "domain=arithmetic");
  REQUIRE(p["failures"].size() == 3);
  CHECK(p["failures"][0] == tc_json({{"input", "what is 12 times 7"}, {"answer", "84"}}));
  CHECK(p["failures"][2] == tc_json({{"input", "what is 20 minus 5"}, {"answer", "15"}}));

  // Read back as the worker would, and offered as an accepted tool.
  auto back = kaizen::tools::ReadToolArtifact(created->written.uri);
  REQUIRE(back.ok());
  CHECK(back->status == "accepted");
  CHECK(back->provenance == p);
  auto spec = kaizen::tools::LoadAcceptedTool("calculate", created->written.uri, created->written.sha256);
  INFO(spec.status().ToString());
  REQUIRE(spec.ok());
  CHECK(spec->ContentHash() == created->artifact.spec.ContentHash());

  // One teacher call, under the tag.
  CHECK(t.client->UsageFor("tool_creation:c-7").calls == 1);

  SECTION("only max_failures_shown failures are sent and recorded") {
    tc_agents::ToolCreationJob fewer = t.Job(TcArithmetic());
    fewer.max_failures_shown = 2;
    auto two = tc_agents::CreateTool(*t.client, fewer, "tool_creation:c-7");
    REQUIRE(two.ok());
    CHECK(two->accepted());
    CHECK(two->artifact.spec.tests.size() == 4);
    CHECK(two->artifact.provenance["failures"].size() == 2);
  }
}

TEST_CASE("create tool: a sloppy teacher's tool fails its tests and is written rejected without an error",
          "[training][tools]") {
  TcTeacher t("sloppy-teacher");
  const tc_agents::ToolCreationJob job = t.Job(TcArithmetic());
  auto created = tc_agents::CreateTool(*t.client, job, "tool_creation:c-7");
  INFO(created.status().ToString());
  REQUIRE(created.ok());
  CHECK_FALSE(created->accepted());
  CHECK(created->artifact.status == "rejected");
  INFO(created->artifact.reason);
  CHECK(created->artifact.reason.find("failed 5 of 5 tests; test 1 ") == 0);
  CHECK(created->artifact.reason.find("what is 12 times 7") != std::string::npos);
  CHECK(created->artifact.reason.find("instead of 84") != std::string::npos);
  // Written all the same, so the repository records it; never offered.
  CHECK(std::filesystem::exists(created->written.path));
  auto back = kaizen::tools::ReadToolArtifact(created->written.uri);
  REQUIRE(back.ok());
  CHECK(back->status == "rejected");
  CHECK(back->tests["results"].size() == 5);
  auto offered = kaizen::tools::LoadAcceptedTool("calculate", created->written.uri, created->written.sha256);
  REQUIRE_FALSE(offered.ok());
  CHECK(offered.status().message().find("was rejected by its tests") != std::string::npos);
}

TEST_CASE("create tool: failures no tool fits are an error and nothing is written", "[training][tools]") {
  TcTeacher t("kaizen-test");
  tc_agents::ToolCreationJob job = t.Job({{"book a flight to Paris", "book_flight"}, {"cancel my hotel", "cancel_hotel"}});
  job.category = "";
  auto created = tc_agents::CreateTool(*t.client, job, "tool_creation:c-7");
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().code() == kaizen::Status::Code::kFailedPrecondition);
  CHECK(created.status().message().find("the model wrote no tool: no tool fits these failures") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(job.tools_dir));

  SECTION("no failures: nothing to ask") {
    tc_agents::ToolCreationJob none = t.Job({});
    auto r = tc_agents::CreateTool(*t.client, none, "tool_creation:c-7");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == kaizen::Status::Code::kInvalidArgument);
    CHECK(t.client->UsageFor("tool_creation:c-7").calls == 1);  // only the call above
  }
}
