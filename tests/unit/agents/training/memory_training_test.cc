// The prompt backend's dynamic_examples and reflection strategies against the
// OpenAI-compatible test server on 127.0.0.1 (real HTTP, the real chat
// client). The server classifies by word overlap with the label names, the
// few-shot examples shown and the lesson lines of the system prompt
// (tests/support/openai_test_server/README.md), and plays the critic.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "agents/memory/lessons.h"
#include "agents/memory/memory_artifact.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/training/prompt_trainer.h"
#include "agents/training/reflection_training.h"
#include "runtime/base/sha256.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace llm = models::llm;
using json = nlohmann::json;

// Two labels the incumbent knows, two that traffic drifted to. A label's
// messages share its topic words, never its name's words.
const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> kDriftTopics = {
    {"balance", "banking", {"money", "checking", "account", "savings", "funds", "left"}},
    {"transfer", "banking", {"send", "wire", "payment", "friend", "move", "cash"}},
    {"book_flight", "travel", {"plane", "ticket", "airline", "seats", "paris", "tokyo"}},
    {"set_alarm", "home", {"wake", "morning", "ring", "clock", "seven", "tomorrow"}},
};

std::string TopicText(const std::vector<std::string>& words, int i) {
  return words[i % 6] + " " + words[(i + 1) % 6] + " " + words[(i + 3) % 6] + " " + std::to_string(i);
}

struct MemoryFixture {
  testing::TempDir dir{"memory-training"};
  testing::OpenAiTestServer server{testing::OpenAiTestServerOptions{}};
  PromptTrainJob job;
  explicit MemoryFixture(const std::string& strategy) {
    REQUIRE(server.Start().ok());
    llm::PromptModel base;
    base.base_model = "kaizen-test";
    base.system_prompt = "You route banking requests.";
    base.labels = {"balance", "transfer"};
    base.examples = {{TopicText(std::get<2>(kDriftTopics[0]), 100), "balance"}, {TopicText(std::get<2>(kDriftTopics[1]), 100), "transfer"}};
    job.base_model_path = dir.file("v1.json");
    REQUIRE(llm::SavePromptModel(job.base_model_path, base).ok());
    job.base_version = "v1";
    job.dataset_path = dir.file("dataset.jsonl");
    std::ofstream out(job.dataset_path);
    int task = 0;
    for (const auto& [label, domain, words] : kDriftTopics) {
      const bool drifted = label == "book_flight" || label == "set_alarm";
      for (int i = 0; i < (drifted ? 12 : 4); ++i) {
        // The worker answered the drifted messages with an old label.
        out << json{{"text", TopicText(words, i)}, {"label", label}, {"split", i % 3 == 2 ? "validation" : "train"},
                    {"task_id", "t-" + std::to_string(++task)}, {"tags", {{"domain", domain}}},
                    {"teacher", "oracle"}, {"selected_by", "failures_first"},
                    {"worker_answer", drifted ? "balance" : label}}
                   .dump()
            << "\n";
      }
    }
    // A person's correction of an input the teacher labelled too: the person's label wins.
    out << json{{"text", TopicText(std::get<2>(kDriftTopics[3]), 0)}, {"label", "set_alarm"}, {"split", "train"},
                {"task_id", "t-99"}, {"tags", {{"domain", "home"}}}, {"teacher", "human:alice"},
                {"worker_answer", "transfer"}}
               .dump()
        << "\n";
    job.output_path = dir.file("v2.json");
    job.version = "v2";
    job.cycle_id = "c1";
    job.log_path = dir.file("train-v2.log");
    job.memory_dir = dir.file("artifacts/memory");
    job.strategy = strategy;
    const json openai = {{"base_url", server.base_url()}, {"model", "kaizen-test"}, {"max_concurrency", 4}};
    job.spec = {{"worker", {{"skill", {{"backend", "openai"}, {"openai", openai}}}}},
                {"teachers", json::array({{{"name", "oracle"}, {"backend", "openai"}, {"openai", openai},
                                           {"cost_per_call", 0.01}}})}};
    job.prompt = {{"retrieved_examples", 4}};
  }
};

std::string ReadLog(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("dynamic_examples: a pool of the new data, the examples most like each input shown, beats the incumbent",
          "[training][llm][memory]") {
  MemoryFixture f("dynamic_examples");
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  INFO(m->dump(2));
  CHECK((*m)["strategy"] == "dynamic_examples");
  CHECK((*m)["candidate_score"].get<double>() >= (*m)["baseline_score"].get<double>() + 0.3);
  CHECK((*m)["candidates"].size() == 2);  // k = 2 and k = 4
  const json& pool = (*m)["example_pool"];
  // The incumbent's 2 fixed examples and the 22 train inputs; the correction replaced the teacher's row.
  CHECK(pool["examples"] == 2 + 22);
  CHECK(pool["from_corrections"] == 1);
  CHECK(pool["overridden"] == 1);
  CHECK(pool["labels_added"] == 2);
  CHECK((*m)["parameters"]["shots"] == pool["k"]);

  auto model = llm::LoadPromptModel(f.job.output_path);
  REQUIRE(model.ok());
  CHECK(model->examples.empty());  // moved into the pool
  REQUIRE(model->example_pool);
  CHECK(model->example_pool->uri == pool["uri"]);
  CHECK(CheckArtifactHash("pool", model->example_pool->uri, model->example_pool->sha256).ok());
  auto file = memory::ExamplePoolFile::FromJson(
      *memory::ReadVerifiedJson("pool", model->example_pool->uri, model->example_pool->sha256));
  REQUIRE(file.ok());
  for (const auto& e : file->examples) CHECK(e.text.find(" 2") == std::string::npos);  // no validation row
  CHECK(file->provenance["cycle"] == "c1");
  CHECK(std::find(model->labels.begin(), model->labels.end(), "set_alarm") != model->labels.end());
  CHECK(ReadLog(f.job.log_path).find("example pool file://") != std::string::npos);
}

TEST_CASE("dynamic_examples under prompt change bounds keeps the fixed examples in the prompt",
          "[training][llm][memory]") {
  MemoryFixture f("dynamic_examples");
  f.job.max_prompt_change = 0.5;
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  CHECK((*m)["example_pool"]["fixed_examples_kept"] == true);
  CHECK((*m)["example_pool"]["examples"] == 22);
  auto model = llm::LoadPromptModel(f.job.output_path);
  REQUIRE(model.ok());
  CHECK(model->examples.size() == 2);
}

TEST_CASE("reflection: the critic's lessons, each citing its failures, go into a memory the candidate retrieves from",
          "[training][llm][memory]") {
  MemoryFixture f("reflection");
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  INFO(m->dump(2));
  CHECK((*m)["strategy"] == "reflection");
  CHECK((*m)["critic"] == "oracle");  // the teacher, by default
  CHECK((*m)["candidate_score"].get<double>() >= (*m)["baseline_score"].get<double>() + 0.3);
  const json& l = (*m)["lessons"];
  CHECK(l["count"] == 2);      // one per expected label of the failures: book_flight, set_alarm
  CHECK(l["categories"].size() == 2);  // domain=home, domain=travel: one critic call each
  CHECK((*m)["teacher_calls"] == 2);
  CHECK(l["refused"] == 0);

  auto model = llm::LoadPromptModel(f.job.output_path);
  REQUIRE(model.ok());
  REQUIRE(model->lessons);
  CHECK(model->lessons->k == 4);
  auto memory = memory::LessonMemory::FromJson(
      *memory::ReadVerifiedJson("lessons", model->lessons->uri, model->lessons->sha256));
  REQUIRE(memory.ok());
  REQUIRE(memory->lessons.size() == 2);
  for (const auto& lesson : memory->lessons) {
    INFO(lesson.text);
    CHECK_FALSE(lesson.task_ids.empty());
    CHECK(lesson.category.rfind("domain=", 0) == 0);
  }
  // The person's correction is among the failures the set_alarm lesson cites; the banking rows, answered right, are not.
  bool cites_correction = false;
  for (const auto& lesson : memory->lessons) {
    for (const auto& id : lesson.task_ids) {
      cites_correction |= id == "t-99";
      CHECK(std::stoi(id.substr(2)) > 8);
    }
  }
  CHECK(cites_correction);
  CHECK(memory->provenance["critic"] == "oracle");

  // A second cycle from v2 merges its lessons into v2's memory, not beside it.
  f.job.base_model_path = f.job.output_path;
  f.job.base_version = "v2";
  f.job.output_path = f.dir.file("v3.json");
  f.job.version = "v3";
  auto again = RunPromptTraining(f.job, progress);
  REQUIRE(again.ok());
  CHECK((*again)["lessons"]["count"] == 2);
  CHECK((*again)["lessons"]["merged"] == 2);
}

TEST_CASE("reflection with a critic whose lessons cite no task fails with the reason, before any candidate",
          "[training][llm][memory]") {
  MemoryFixture f("reflection");
  f.job.spec["planning"]["critic"] = {{"base_url", f.server.base_url()}, {"model", "sloppy-critic"}};
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE_FALSE(m.ok());
  CHECK_THAT(m.status().message(), Catch::Contains("the critic spec.planning.critic gave no usable lesson (2 refused") &&
                                       Catch::Contains("cites no task"));
  CHECK_FALSE(std::filesystem::exists(f.job.output_path));
  // What the failed run spent goes on the progress queue for the cycle's LLM usage.
  REQUIRE_FALSE(progress.events.empty());
  const json& spent = progress.events.back().llm_usage;
  INFO(spent.dump());
  CHECK(spent["critic"]["calls"] == 2);
  CHECK(spent["worker"]["calls"] == 0);
}

TEST_CASE("the critic reads each failure with its task id, the right answer and what the worker said",
          "[training][memory]") {
  DatasetRow a;
  a.text = "wake me at \"seven\"\ntomorrow";
  a.label = "set_alarm";
  a.task_id = "t-4";
  a.worker_answer = "transfer";
  DatasetRow b = a;
  b.task_id = "t-5";
  b.worker_answer = "";
  const std::string r = CriticRequest("domain=home", {a, b, a}, 2);
  CHECK(r ==
        "Category: domain=home\nFailures:\n"
        "- [t-4] \"wake me at 'seven' tomorrow\" -> set_alarm (it answered transfer)\n"
        "- [t-5] \"wake me at 'seven' tomorrow\" -> set_alarm\n");
}

}  // namespace kaizen::agents
