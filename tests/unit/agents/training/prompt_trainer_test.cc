// The prompt backend against the OpenAI-compatible test server on 127.0.0.1
// (tests/support/openai_test_server/README.md): real HTTP through the real
// chat client. The server classifies by word overlap with the label names,
// the few-shot examples and "LABEL: keywords" lines of the instructions, so a
// better prompt really answers better.
#include "agents/training/prompt_trainer.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/models/llm/prompt_model.h"
#include "runtime/safety/prompt_change.h"
#include "runtime/safety/token_edit_distance.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
namespace llm = models::llm;
using json = nlohmann::json;

// Two old labels the incumbent knows, two new ones after a drift. A label's
// messages share its topic words, never its name's words.
const std::vector<std::pair<std::string, std::vector<std::string>>> kTopics = {
    {"balance", {"money", "checking", "account", "savings", "funds", "left"}},
    {"transfer", {"send", "wire", "payment", "friend", "move", "cash"}},
    {"book_flight", {"plane", "ticket", "airline", "seats", "paris", "tokyo"}},
    {"set_alarm", {"wake", "morning", "ring", "clock", "seven", "tomorrow"}},
};

std::string Text(const std::vector<std::string>& words, int i) {
  return "please " + words[i % 6] + " " + words[(i + 1) % 6] + " " + words[(i + 3) % 6] + " now " +
         std::to_string(i);
}

struct Fixture {
  testing::TempDir dir{"prompt"};
  testing::OpenAiTestServer server{testing::OpenAiTestServerOptions{}};
  PromptTrainJob job;
  Fixture() {
    REQUIRE(server.Start().ok());
    llm::PromptModel base;
    base.base_model = "kaizen-test";
    base.system_prompt = "You route banking requests.";
    base.labels = {"balance", "transfer"};
    base.examples = {{Text(kTopics[0].second, 100), "balance"}, {Text(kTopics[1].second, 100), "transfer"}};
    job.base_model_path = (dir.path() / "v1.json").string();
    REQUIRE(llm::SavePromptModel(job.base_model_path, base).ok());
    job.base_version = "v1";
    job.dataset_path = (dir.path() / "dataset.jsonl").string();
    std::ofstream out(job.dataset_path);
    for (const auto& [label, words] : kTopics) {
      const bool drifted = label == "book_flight" || label == "set_alarm";
      for (int i = 0; i < (drifted ? 12 : 4); ++i) {
        out << json{{"text", Text(words, i)}, {"label", label}, {"split", i % 3 == 2 ? "validation" : "train"}}.dump()
            << "\n";
      }
    }
    job.output_path = (dir.path() / "v2.json").string();
    job.version = "v2";
    job.cycle_id = "c1";
    job.log_path = (dir.path() / "train-v2.log").string();
    const json openai = {{"base_url", server.base_url()}, {"model", "kaizen-test"}, {"max_concurrency", 4}};
    job.spec = {{"worker", {{"skill", {{"backend", "openai"}, {"openai", openai}}}}},
                {"teachers", json::array({{{"name", "gpt"}, {"backend", "openai"}, {"openai", openai},
                                           {"cost_per_call", 0.01}}})}};
    job.prompt = {{"rewrites", 2}, {"few_shot_sets", 2}, {"shots", 8}};
  }
};

std::string ReadFile(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("the prompt search finds a better prompt than the incumbent's and writes it as a PromptModel",
          "[training][llm]") {
  Fixture f;
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  INFO(m->dump(2));
  const double baseline = (*m)["baseline_score"], candidate = (*m)["candidate_score"];
  CHECK(baseline < 0.6);                  // the new labels' messages share no word with their names
  CHECK(candidate >= baseline + 0.3);
  CHECK((*m)["validation_rows"] == 4 + 4 + 1 + 1);
  CHECK((*m)["candidates"].size() == 6);  // baseline, + new labels, 2 few-shot sets, 2 rewrites
  CHECK((*m)["candidates"][1]["origin"] == "incumbent prompt + 2 new labels");
  CHECK((*m)["teacher_calls"] == 2);
  CHECK((*m)["worker_calls"] == 6 * 10);
  CHECK((*m)["usage"]["teacher"]["cost"].get<double>() == Approx(0.02));
  CHECK((*m)["usage"]["worker"]["calls"] == 60);
  CHECK(progress.events.size() == 6);
  CHECK(progress.events.back().fraction == Approx(1.0));

  auto model = llm::LoadPromptModel(f.job.output_path);
  REQUIRE(model.ok());
  CHECK(model->base_model == "kaizen-test");
  CHECK(std::find(model->labels.begin(), model->labels.end(), "book_flight") != model->labels.end());
  CHECK(model->examples.size() > 2);
  // The knobs the run used: the written prompt's examples, and the rewrites asked for.
  CHECK((*m)["parameters"]["shots"] == model->examples.size());
  CHECK((*m)["parameters"]["rewrites"] == 2);
  CHECK(model->origin.find("v2:") == 0);
  // No validation row became an example.
  for (const auto& e : model->examples) CHECK(e.text.find(" now 2") == std::string::npos);

  const std::string log = ReadFile(f.job.log_path);
  CHECK(log.find("progress 1.0000") != std::string::npos);
  CHECK(log.find("result {") != std::string::npos);
}

TEST_CASE("a teacher's rewrite of the instructions alone lifts the score", "[training][llm]") {
  Fixture f;
  f.job.prompt = {{"rewrites", 1}, {"few_shot_sets", 0}};
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  INFO(m->dump(2));
  CHECK((*m)["candidates"].size() == 3);
  INFO((*m)["candidates"].dump());
  CHECK((*m)["candidates"][2]["score"].get<double>() > (*m)["candidates"][1]["score"].get<double>());
  CHECK((*m)["candidate_score"].get<double>() > (*m)["baseline_score"].get<double>());
  CHECK((*m)["best"].get<std::string>().find("rewrite 1") == 0);
  auto model = llm::LoadPromptModel(f.job.output_path);
  REQUIRE(model->system_prompt.find("You route banking requests.") == 0);  // the teacher kept and extended it
  CHECK(model->system_prompt.find("book_flight:") != std::string::npos);
}

TEST_CASE("without an openai teacher only few-shot sets are tried", "[training][llm]") {
  Fixture f;
  f.job.spec["teachers"] = json::array();
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  CHECK((*m)["teacher_calls"] == 0);
  CHECK((*m)["candidates"].size() == 4);
  CHECK((*m)["candidate_score"].get<double>() > (*m)["baseline_score"].get<double>());
}

TEST_CASE("a prompt job that cannot run says why", "[training][llm]") {
  Fixture f;
  PromptTrainProgress progress;
  SECTION("the base model is not a prompt model") {
    std::ofstream(f.job.base_model_path) << "KZM1 binary weights";
    auto m = RunPromptTraining(f.job, progress);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().message().find("is not a prompt model") != std::string::npos);
  }
  SECTION("the worker is not an LLM") {
    f.job.spec["worker"]["skill"] = {{"backend", "builtin-classifier"}};
    auto m = RunPromptTraining(f.job, progress);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().message().find("needs an LLM worker") != std::string::npos);
  }
  SECTION("the named teacher does not exist") {
    f.job.prompt["teacher"] = "nobody";
    auto m = RunPromptTraining(f.job, progress);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().message().find("training.prompt.teacher nobody is not an entry") != std::string::npos);
  }
  SECTION("the worker's endpoint is down: every answer fails and nothing beats the baseline") {
    f.server.Stop();
    f.job.spec["worker"]["skill"]["openai"]["max_retries"] = 0;
    f.job.spec["teachers"] = json::array();
    auto m = RunPromptTraining(f.job, progress);
    REQUIRE(m.ok());
    CHECK((*m)["candidate_score"] == 0.0);
    CHECK((*m)["candidates"][0]["errors"] == 10);
    CHECK((*m)["best"].get<std::string>().find("baseline") == 0);
  }
}

TEST_CASE("a cancelled prompt search stops", "[training][llm]") {
  Fixture f;
  PromptTrainProgress progress;
  progress.cancel = true;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == Status::Code::kUnavailable);
}

}  // namespace kaizen::agents

namespace kaizen::agents {

TEST_CASE("a free-text prompt is graded by the LLM judge and few-shot replies lift it", "[training][llm]") {
  Fixture f;
  // The server's judge scores word overlap (F1) with the reference; its text
  // rule answers with the input's first K words: K from "at most K words"
  // without examples, else the examples' mean answer length. So one word
  // fails the judge and examples of six-word replies pass it.
  llm::PromptModel base;
  base.base_model = "kaizen-test";
  base.task = llm::TaskKind::kText;
  base.system_prompt = "You answer customers in at most 1 words.";
  REQUIRE(llm::SavePromptModel(f.job.base_model_path, base).ok());
  std::ofstream out(f.job.dataset_path);
  for (int i = 0; i < 12; ++i) {
    const std::string n = std::to_string(1000 + i);
    out << json{{"text", "order " + n + " shipped track under orders then more filler words here"},
                {"label", "order " + n + " shipped track under orders"},
                {"split", i % 3 == 2 ? "validation" : "train"}}
               .dump()
        << "\n";
  }
  out.close();
  const json openai = f.job.spec["worker"]["skill"]["openai"];
  f.job.spec["evaluation"] = {{"judge", {{"openai", openai}, {"pass_score", 0.5}}}};
  f.job.spec["teachers"] = json::array();
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  INFO(m->dump(2));
  CHECK((*m)["candidates"].size() == 3);  // no labels to add: baseline and 2 few-shot sets
  CHECK((*m)["usage"]["judge"]["calls"].get<int>() == 3 * 4);
  CHECK((*m)["baseline_score"] == 0.0);
  CHECK((*m)["candidate_score"] == 1.0);
}

}  // namespace kaizen::agents

namespace kaizen::agents {

TEST_CASE("bounds: a prompt search stays within max_prompt_change, measured as the runtime measures it",
          "[training][llm][bounds]") {
  Fixture f;
  f.job.max_prompt_change = 0.6;
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE(m.ok());
  INFO(m->dump(2));
  REQUIRE(m->contains("prompt_change"));
  CHECK((*m)["prompt_change"]["change"].get<double>() <= 0.6);
  CHECK((*m)["prompt_change"]["replaced"] == "v1");
  CHECK((*m)["candidates_out_of_bounds"].get<int>() >= 1);  // cut to fit, or skipped
  // The file written is within the bound by the runtime's own measure.
  auto base = safety::ReadPromptText(f.job.base_model_path);
  auto written = safety::ReadPromptText(f.job.output_path);
  REQUIRE((base.ok() && *base && written.ok() && *written));
  CHECK(safety::ChangeShare(**base, **written) <= 0.6);
  CHECK(safety::ChangeShare(**base, **written) == Approx((*m)["prompt_change"]["change"].get<double>()));
  const std::string log = ReadFile(f.job.log_path);
  CHECK(log.find("bounds: at most 0.6 of v1's prompt changed") != std::string::npos);
  CHECK(log.find("to stay within the bounds") != std::string::npos);
}

TEST_CASE("bounds: when nothing within the bounds beats the incumbent the search fails naming the bound",
          "[training][llm][bounds]") {
  Fixture f;
  f.job.max_prompt_change = 0.02;  // not even the new labels fit
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == Status::Code::kFailedPrecondition);
  CHECK_THAT(m.status().message(), Catch::Contains("no candidate prompt within the bounds") &&
                                       Catch::Contains("spec.planning.bounds.max_prompt_change is 2%"));
  CHECK_FALSE(fs::exists(f.job.output_path));
}

TEST_CASE("bounds: the drift from the anchor is measured against the anchor's file", "[training][llm][bounds]") {
  Fixture f;
  // The anchor: the incumbent's prompt without its examples, so the incumbent
  // is already far from it and only candidates that keep close to it fit.
  llm::PromptModel anchor;
  anchor.base_model = "kaizen-test";
  anchor.system_prompt = "You route banking requests.";
  anchor.labels = {"balance", "transfer"};
  const std::string anchor_path = (f.dir.path() / "v0.json").string();
  REQUIRE(llm::SavePromptModel(anchor_path, anchor).ok());
  f.job.anchor_version = "v0";
  f.job.anchor_path = anchor_path;
  f.job.max_drift_from_anchor = 0.3;
  PromptTrainProgress progress;
  auto m = RunPromptTraining(f.job, progress);
  REQUIRE_FALSE(m.ok());
  CHECK_THAT(m.status().message(), Catch::Contains("away from the anchor v0") &&
                                       Catch::Contains("max_drift_from_anchor is 30%"));
  f.job.max_drift_from_anchor = 50.0;  // far enough: the search runs as without it, and reports the drift
  auto free = RunPromptTraining(f.job, progress);
  REQUIRE(free.ok());
  CHECK((*free)["prompt_change"]["anchor"] == "v0");
  CHECK((*free)["prompt_change"]["drift"].get<double>() > (*free)["prompt_change"]["change"].get<double>());
}

}  // namespace kaizen::agents
