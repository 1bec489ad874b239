#include "agents/evaluation/model_predictor.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "agents/models/llm/prompt_tools.h"
#include "agents/models/text_classifier.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

// Runs fn(i) for i in [0, n) on `threads` threads.
template <typename Fn>
void ParallelFor(std::size_t n, int threads, Fn fn) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, std::min<int>(threads, static_cast<int>(n))); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
}

class ClassifierPredictor : public ModelPredictor {
 public:
  explicit ClassifierPredictor(models::TextClassifier m) : model_(std::move(m)) {}
  std::vector<std::string> PredictAll(const std::vector<std::string>& inputs, std::atomic<int64_t>* done) override {
    std::vector<std::string> out;
    out.reserve(inputs.size());
    for (const auto& in : inputs) {
      out.push_back(model_.Predict(in).label);
      if (done) ++*done;
    }
    return out;
  }

 private:
  models::TextClassifier model_;
};

// A prompt model is scored as the worker serves it: with its tools, in the sandbox, and its retrieval.
class PromptPredictor : public ModelPredictor {
 public:
  PromptPredictor(llm::PromptModel m, llm::PromptAssets assets, std::unique_ptr<llm::ChatClient> c)
      : model_(std::move(m)), assets_(std::move(assets)), client_(std::move(c)) {}
  std::vector<std::string> PredictAll(const std::vector<std::string>& inputs, std::atomic<int64_t>* done) override {
    std::vector<std::string> out(inputs.size());
    ParallelFor(inputs.size(), client_->config().max_concurrency, [&](std::size_t i) {
      auto a = llm::AnswerWithTools(*client_, model_, assets_, inputs[i], "evaluation");
      if (a.ok()) out[i] = *a;
      if (done) ++*done;
    });
    return out;
  }
  bool free_text() const override { return model_.task == llm::TaskKind::kText; }
  llm::Usage usage() const override { return client_->TotalUsage(); }

 private:
  llm::PromptModel model_;
  llm::PromptAssets assets_;
  std::unique_ptr<llm::ChatClient> client_;
};

std::string Normalize(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Result<std::unique_ptr<ModelPredictor>> LoadModelPredictor(const std::string& what, const std::string& path,
                                                           const json& spec) {
  char first = 0;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("the " + what + " model file " + path + " cannot be opened");
    in >> first;  // skips whitespace: a JSON file starts with '{'
  }
  if (first != '{') {
    auto model = models::TextClassifier::Load(path);
    if (!model.ok()) {
      return Status::InvalidArgument("cannot load the " + what + " model from " + path + ": " + model.status().message());
    }
    return std::unique_ptr<ModelPredictor>(new ClassifierPredictor(std::move(*model)));
  }
  auto prompt = llm::LoadPromptModel(path);
  if (!prompt.ok()) return Status::InvalidArgument("cannot load the " + what + " prompt model: " + prompt.status().message());
  const json block = spec.value("worker", json::object()).value("skill", json::object()).value("openai", json());
  if (block.is_null()) {
    return Status::FailedPrecondition("the " + what + " model is a prompt model, but spec.worker.skill.openai is not set");
  }
  auto config = llm::ChatConfigFromJson(block, "spec.worker.skill.openai");
  if (!config.ok()) return config.status();
  auto assets = llm::LoadPromptAssets(*prompt);
  if (!assets.ok()) return assets.status().WithContext("the " + what + " model's tools and memory");
  auto client = llm::ChatClient::Create(*config);
  if (!client.ok()) return client.status();
  return std::unique_ptr<ModelPredictor>(new PromptPredictor(std::move(*prompt), std::move(*assets), std::move(*client)));
}

Result<std::unique_ptr<Grader>> Grader::Create(const json& spec) {
  auto g = std::make_unique<Grader>();
  const json judge = spec.value("evaluation", json::object()).value("judge", json());
  if (judge.is_object()) {
    auto config = llm::ChatConfigFromJson(judge.value("openai", json()), "spec.evaluation.judge.openai");
    if (!config.ok()) return config.status();
    auto client = llm::ChatClient::Create(*config);
    if (!client.ok()) return client.status();
    g->judge_ = std::move(*client);
    g->system_prompt_ = judge.value("system_prompt", "You are a strict judge. Reply with JSON: {\"score\": <0..1>}.");
    g->pass_score_ = judge.value("pass_score", 0.5);
  }
  return g;
}

std::string Grader::JudgeRequest(const std::string& input, const std::string& reference, const std::string& answer) {
  return "Input:\n" + input + "\n\nReference:\n" + reference + "\n\nAnswer:\n" + answer;
}

std::optional<double> Grader::ParseScore(const std::string& reply) {
  auto open = reply.find('{');
  if (open != std::string::npos) {
    try {
      auto j = json::parse(reply.substr(open, reply.rfind('}') - open + 1));
      if (j.contains("score") && j["score"].is_number()) return j["score"].get<double>();
    } catch (const json::exception&) {
    }
  }
  char* end = nullptr;
  double v = std::strtod(reply.c_str(), &end);
  if (end != reply.c_str()) return v;
  return std::nullopt;
}

std::vector<bool> Grader::GradeAll(const std::vector<std::string>& inputs, const std::vector<std::string>& references,
                                   const std::vector<std::string>& answers) {
  std::vector<bool> right(answers.size(), false);
  if (!judge_) {
    for (std::size_t i = 0; i < answers.size(); ++i) right[i] = Normalize(answers[i]) == Normalize(references[i]);
    return right;
  }
  std::vector<char> ok(answers.size(), 0);
  ParallelFor(answers.size(), judge_->config().max_concurrency, [&](std::size_t i) {
    if (answers[i].empty()) return;
    auto reply = judge_->Complete({{"system", system_prompt_}, {"user", JudgeRequest(inputs[i], references[i], answers[i])}},
                                  "evaluation:judge");
    if (!reply.ok()) {
      spdlog::warn("judge: {}", reply.status().message());
      return;
    }
    auto score = ParseScore(reply->text);
    ok[i] = score && *score >= pass_score_;
  });
  for (std::size_t i = 0; i < answers.size(); ++i) right[i] = ok[i] != 0;
  return right;
}

}  // namespace kaizen::agents
