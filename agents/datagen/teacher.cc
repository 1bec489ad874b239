#include "agents/datagen/teacher.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/llm/prompt_config.h"
#include "config/manifest_schema.h"
#include "runtime/base/crash_point.h"
#include "runtime/base/sha256.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// Spaces calls 1/rate apart across all threads; rate 0 never waits.
class RateLimiter {
 public:
  explicit RateLimiter(double per_s) : per_s_(per_s) {}
  void Wait() {
    if (per_s_ <= 0) return;
    std::chrono::steady_clock::time_point slot;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto now = std::chrono::steady_clock::now();
      if (next_ < now) next_ = now;
      slot = next_;
      next_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / per_s_));
    }
    std::this_thread::sleep_until(slot);
  }

 private:
  double per_s_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point next_{};
};

// A correction that is a deferred answer (CandidatePool::AddResult), not a person's.
bool IsDeferral(const Candidate& c) { return c.correction_source.rfind("deferral:", 0) == 0; }

uint64_t Mix(uint64_t x) {  // splitmix64: independent draws from consecutive indexes
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

Result<TeacherSpec> FirstTeacher(const json& settings) { return NamedTeacher(settings, ""); }

Result<TeacherSpec> NamedTeacher(const json& settings, const std::string& name) {
  const json spec = settings.value("cluster", json::object()).value("spec", json::object());
  const json teachers = spec.value("teachers", json::array());
  if (!teachers.is_array() || teachers.empty()) {
    return Status::FailedPrecondition("no teacher configured: add one to spec.teachers");
  }
  std::size_t at = 0;
  if (!name.empty()) {
    std::string known;
    for (at = 0; at < teachers.size(); ++at) {
      const std::string n = teachers[at].is_object() ? teachers[at].value("name", "") : "";
      if (n == name) break;
      known += (known.empty() ? "" : ", ") + n;
    }
    if (at == teachers.size()) {
      return Status::NotFound("no teacher named '" + name + "' in spec.teachers (" + known + ")");
    }
  }
  const json& t = teachers[at];
  // A key left out of the entry is the schema's default for every teacher.
  auto setting = [&t](const char* key) { return config::SettingOrDefault(t, "spec.teachers[]", key); };
  TeacherSpec s;
  s.name = t.value("name", "teacher");  // required by the schema
  const std::string backend = setting("backend").get<std::string>();
  if (backend != "openai" && backend != "builtin-classifier") {
    return Status::FailedPrecondition("teacher " + s.name + ": backend " + backend + " is not available");
  }
  s.backend = backend == "openai" ? TeacherSpec::Backend::kOpenAi : TeacherSpec::Backend::kBuiltinClassifier;
  s.cost_per_call = setting("cost_per_call").get<double>();
  s.max_concurrency = std::max(1, setting("max_concurrency").get<int>());
  s.rate_limit_per_s = setting("rate_limit_per_s").get<double>();
  s.noise = std::clamp(setting("noise").get<double>(), 0.0, 1.0);
  s.entry = t;
  s.data = spec.value("data", json::object());
  s.config_hash = Sha256Hex(t.dump());
  if (s.backend == TeacherSpec::Backend::kOpenAi) {
    if (!t.contains("openai")) return Status::FailedPrecondition("teacher " + s.name + " has no openai endpoint");
    return s;
  }
  if (!t.contains("train")) {
    return Status::FailedPrecondition("teacher " + s.name + " has no train data (spec.teachers[0].train)");
  }
  const json& train = t["train"];
  const std::string dataset = train.value("dataset", "");
  const json data = spec.value("data", json::object());
  if (!data.contains(dataset)) {
    return Status::FailedPrecondition("teacher " + s.name + ": dataset '" + dataset + "' is not in spec.data");
  }
  s.data_path = data[dataset].value("path", "");
  s.split = config::SettingOrDefault(train, "spec.teachers[].train", "split").get<std::string>();
  s.domains = config::SettingOrDefault(train, "spec.teachers[].train", "domains").get<std::vector<std::string>>();
  s.config_hash = Sha256Hex(t.dump() + "\n" + s.data_path);
  return s;
}

Result<Teacher> Teacher::LoadOrTrain(const TeacherSpec& spec, const std::string& state_dir) {
  if (spec.backend == TeacherSpec::Backend::kOpenAi) {
    const std::string where = "spec.teachers[" + spec.name + "]";
    auto config = models::llm::ChatConfigFromJson(spec.entry.value("openai", json()), where + ".openai");
    if (!config.ok()) return config.status();
    config->max_concurrency = std::min(config->max_concurrency, spec.max_concurrency);
    if (spec.rate_limit_per_s > 0 &&
        (config->rate_limit_per_s <= 0 || spec.rate_limit_per_s < config->rate_limit_per_s)) {
      config->rate_limit_per_s = spec.rate_limit_per_s;
    }
    config->cost_per_call = spec.cost_per_call;
    auto prompt = models::llm::PromptFromManifest(spec.entry, spec.data, where);
    if (!prompt.ok()) return prompt.status();
    auto client = models::llm::ChatClient::Create(*config);
    if (!client.ok()) return client.status().WithContext("teacher " + spec.name);
    spdlog::info("teacher {}: LLM {} at {} ({} labels, {} examples in its prompt)", spec.name, config->model,
                 config->base_url, prompt->labels.size(), prompt->examples.size());
    return Teacher(spec, std::shared_ptr<models::llm::ChatClient>(std::move(*client)),
                   std::make_shared<const models::llm::PromptModel>(std::move(*prompt)));
  }
  const fs::path dir = fs::path(state_dir) / "artifacts" / "teachers";
  const fs::path cache = dir / (spec.name + "-" + spec.config_hash + ".kzm");
  std::error_code ec;
  if (fs::exists(cache, ec)) {
    auto model = models::TextClassifier::Load(cache.string());
    if (model.ok()) {
      spdlog::info("teacher {}: loaded cached model {}", spec.name, cache.string());
      return Teacher(spec, std::make_shared<const models::TextClassifier>(std::move(*model)));
    }
    spdlog::warn("teacher {}: cached model {} unusable ({}); training again", spec.name, cache.string(),
                 model.status().message());
  }
  auto data = models::LoadJsonlExamples(spec.data_path, spec.split, spec.domains);
  if (!data.ok()) return data.status().WithContext("teacher " + spec.name + " training data");
  if (data->examples.empty()) {
    return Status::InvalidArgument("teacher " + spec.name + ": no examples in " + spec.data_path + " for split '" +
                                   spec.split + "' and the domains given");
  }
  auto model = models::TextClassifier::Train(data->examples, models::TrainOptions{});
  if (!model.ok()) return model.status().WithContext("training teacher " + spec.name);
  fs::create_directories(dir, ec);
  Status saved = model->Save(cache.string(), "teacher-" + spec.name);
  if (!saved.ok()) spdlog::warn("teacher {}: cannot cache the model: {}", spec.name, saved.ToString());
  spdlog::info("teacher {}: trained on {} examples ({} labels)", spec.name, data->examples.size(),
               model->labels().size());
  return Teacher(spec, std::make_shared<const models::TextClassifier>(std::move(*model)));
}

const std::vector<std::string>& Teacher::labels() const { return client_ ? prompt_->labels : model_->labels(); }

std::string Teacher::Label(const std::string& text, uint64_t draw, const std::string& tag) const {
  TeacherAnswer a = Answer(text, draw, tag);
  if (!a.status.ok()) spdlog::warn("teacher {}: no label for an input: {}", spec_.name, a.status.message());
  return std::move(a.label);
}

TeacherAnswer Teacher::Answer(const std::string& text, uint64_t draw, const std::string& tag) const {
  TeacherAnswer a;
  const auto& labels = this->labels();
  if (spec_.noise > 0 && !labels.empty()) {
    uint64_t r = Mix(draw);
    double u = static_cast<double>(r >> 11) * 0x1.0p-53;
    if (u < spec_.noise) {
      a.label = labels[Mix(r) % labels.size()];
      a.cost = client_ ? 0.0 : spec_.cost_per_call;
      return a;
    }
  }
  if (client_) {
    models::llm::ChatReply reply;
    auto answer = models::llm::Answer(*client_, *prompt_, text, tag, &reply);
    a.cost = reply.cost;  // paid also when the reply is no label
    if (!answer.ok()) {
      a.status = answer.status();
      return a;
    }
    a.label = std::move(*answer);
    return a;
  }
  a.label = model_->Predict(text).label;
  a.cost = spec_.cost_per_call;
  return a;
}

Result<std::string> Teacher::Ask(const std::string& request, const std::string& tag) const {
  if (!client_) return Status::FailedPrecondition("teacher " + spec_.name + " is not an LLM");
  std::vector<models::llm::ChatMessage> messages;
  if (!prompt_->system_prompt.empty()) messages.push_back({"system", prompt_->system_prompt});
  messages.push_back({"user", request});
  auto reply = client_->Complete(messages, tag, prompt_->base_model);
  if (!reply.ok()) return reply.status().WithContext("teacher " + spec_.name);
  return reply->text;
}

models::llm::Usage Teacher::usage() const { return client_ ? client_->TotalUsage() : models::llm::Usage{}; }

models::llm::Usage Teacher::usage_for(const std::string& tag) const {
  return client_ ? client_->UsageFor(tag) : models::llm::Usage{};
}

std::vector<std::string> Teacher::LabelAll(const std::vector<std::string>& texts, int concurrency, uint64_t seed,
                                           std::atomic<std::size_t>* done, const std::string& tag,
                                           LabelLedger* ledger) const {
  std::vector<std::string> labels(texts.size());
  std::atomic<std::size_t> next{0}, paid{0};
  RateLimiter limiter(spec_.rate_limit_per_s);
  const int threads = std::max(1, std::min({concurrency, spec_.max_concurrency, static_cast<int>(texts.size())}));
  // The fault tests' kill half way through a job's first labeling (base/crash_point.h).
  const bool first_process = ledger && ledger->recovered() == 0;
  auto work = [&] {
    for (std::size_t i = next++; i < texts.size(); i = next++) {
      if (auto known = ledger ? ledger->Find(texts[i]) : std::nullopt) {
        labels[i] = std::move(*known);
      } else {
        limiter.Wait();
        TeacherAnswer a = Answer(texts[i], seed ^ Mix(i), tag);
        if (!a.status.ok()) spdlog::warn("teacher {}: no label for an input: {}", spec_.name, a.status.message());
        if (ledger) {
          if (Status s = ledger->Record(texts[i], a.label, a.cost); !s.ok()) spdlog::error("{}", s.ToString());
          if (first_process && ++paid == texts.size() / 2) CrashPoint("datagen:labeling-half");
        }
        labels[i] = std::move(a.label);
      }
      if (done) ++*done;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& th : pool) th.join();
  return labels;
}

LabeledSelection LabelSelection(const std::vector<SelectedCandidate>& selected, const Teacher* teacher,
                                int concurrency, uint64_t seed, std::atomic<std::size_t>* done,
                                const std::string& tag, LabelLedger* ledger, int64_t call_budget) {
  LabeledSelection out;
  std::vector<std::string> texts;
  std::vector<std::size_t> asked;  // selection index of each text
  std::vector<std::string> labels(selected.size());
  // What earlier processes paid counts against the budget; their answers are free now.
  int64_t affordable = call_budget < 0 ? -1 : std::max<int64_t>(0, call_budget - (ledger ? ledger->calls() : 0));
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const Candidate& c = selected[i].candidate;
    if (!c.correction.empty()) {
      // A deferred answer someone rated down was the teacher's mistake: no label.
      if (!(IsDeferral(c) && c.thumbs_down)) labels[i] = c.correction;
    } else if (teacher) {
      if (ledger && ledger->Find(c.text)) {
        ++out.answers_reused;
      } else if (affordable == 0) {
        ++out.over_budget;
        continue;
      } else if (affordable > 0) {
        --affordable;
      }
      texts.push_back(c.text);
      asked.push_back(i);
    }
  }
  if (!texts.empty()) {
    auto answers = teacher->LabelAll(texts, concurrency, seed, done, tag, ledger);
    for (std::size_t k = 0; k < answers.size(); ++k) labels[asked[k]] = std::move(answers[k]);
  }
  out.teacher_calls = ledger ? ledger->calls() : static_cast<int64_t>(texts.size());
  const std::vector<std::string> none;
  const auto& known = teacher ? teacher->labels() : none;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    if (labels[i].empty()) continue;
    const SelectedCandidate& s = selected[i];
    DatasetRow r;
    r.text = s.candidate.text;
    r.label = std::move(labels[i]);
    r.task_id = s.candidate.task_id;
    r.tags = s.candidate.tags;
    r.selected_by = s.selected_by;
    r.worker_answer = s.candidate.predicted;
    if (!s.candidate.correction.empty()) {
      const std::string who = s.candidate.correction_source.empty() ? "unknown" : s.candidate.correction_source;
      r.teacher = IsDeferral(s.candidate) ? who : "human:" + who;  // deferral:<teacher>, or a person
      ++out.corrections_used;
      ++out.corrected_by[who];
      if (!known.empty() && std::find(known.begin(), known.end(), r.label) == known.end()) {
        out.new_labels.insert(r.label);
      }
    } else {
      r.teacher = teacher->spec().name;
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace kaizen::agents
