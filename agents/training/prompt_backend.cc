// The prompt backend: a prompt search (prompt_trainer.h) on a thread of the
// training agent, stopped by its cancel flag between HTTP calls.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

#include <spdlog/fmt/fmt.h>

#include "agents/training/prompt_trainer.h"
#include "agents/training/trainer.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class PromptBackend : public Trainer {
 public:
  PromptBackend(const TrainingSettings& s, TrainerLeftovers& leftovers) : settings_(s), leftovers_(leftovers) {}
  ~PromptBackend() override {
    if (search_.valid() && search_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      shared_->progress.cancel = true;
      leftovers_.Add(std::move(search_));
      return;  // the search may still write its output; it lies in the scratch dir
    }
    std::error_code ec;
    if (!collected_ && !output_.empty()) fs::remove(output_, ec);
  }

  Status Start(const TrainJob& job) override {
    PromptTrainJob p;
    p.base_model_path = job.base_path;
    p.base_version = job.base_version;
    p.dataset_path = job.dataset_path;
    const std::string tmp = job.state_dir + "/artifacts/tmp";
    std::error_code ec;
    fs::create_directories(tmp, ec);
    fs::create_directories(fs::path(job.log_path).parent_path(), ec);
    output_ = p.output_path = tmp + "/prompt-" + job.output_version + "-" + NewId() + ".json";
    p.version = job.output_version;
    p.cycle_id = job.cycle_id;
    p.log_path = job.log_path;
    p.max_prompt_change = job.max_prompt_change;
    p.max_drift_from_anchor = job.max_drift_from_anchor;
    p.anchor_version = job.anchor_version;
    p.anchor_path = job.anchor_path;
    p.strategy = job.strategy;
    p.tools_dir = job.state_dir + "/artifacts/tools";
    p.memory_dir = job.state_dir + "/artifacts/memory";
    p.spec = settings_.spec;
    p.prompt = settings_.prompt;
    std::ofstream(job.log_path, std::ios::app)
        << "# kaizen: " << fmt::format("cycle {}: prompt search for {} from {}", job.cycle_id, job.output_version,
                                       job.base_version)
        << "\n";
    version_ = job.output_version;
    deadline_ms_ = MonoMs() + 1000 * settings_.timeout_s;
    // The thread owns copies of what it uses: the job and the shared state.
    search_ = std::async(std::launch::async, [p, shared = shared_] {
      Result<json> r = RunPromptTraining(p, shared->progress);
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->result = std::move(r);
    });
    return Status::OK();
  }

  State Poll(const TrainEvents& events) override {
    if (!failure_.ok()) return State::kFailed;
    // Whether it ended is asked before the events are taken, so that what a
    // run put on the queue before it ended (a failure's usage) is never left behind.
    const bool ended =
        search_.valid() && search_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    std::deque<PromptTrainProgress::Event> happened;
    {
      std::lock_guard<std::mutex> lock(shared_->progress.mu);
      happened.swap(shared_->progress.events);
    }
    for (const auto& ev : happened) {
      ProgressUpdate u;
      u.fraction = ev.fraction;
      u.message = ev.message;
      u.tools = ev.tools;
      u.llm_usage = ev.llm_usage;
      events.progress(u);
    }
    if (ended) {
      search_.get();
      std::lock_guard<std::mutex> lock(shared_->mu);
      Result<json>& r = *shared_->result;
      if (!r.ok()) {
        const std::string message = "prompt training for " + version_ + " failed: " + r.status().message();
        failure_ = r.status().code() == Status::Code::kInvalidArgument ? Status::InvalidArgument(message)
                                                                       : Status::Internal(message);
        return State::kFailed;
      }
      metrics_ = *r;
      return State::kSucceeded;
    }
    if (!search_.valid()) return State::kSucceeded;
    if (MonoMs() >= deadline_ms_) {
      failure_ = Status::Internal(fmt::format("training {} took longer than training.timeout_s ({} s) and was stopped",
                                              version_, settings_.timeout_s));
      return State::kFailed;  // the destructor stops the search
    }
    return State::kRunning;
  }

  Status Failure() const override { return failure_; }

  Result<TrainedModel> Collect() override {
    collected_ = true;
    TrainedModel m;
    m.path = output_;
    m.ext = "json";
    m.metrics = metrics_.is_object() ? metrics_ : json::object();
    return m;
  }

 private:
  struct Shared {
    PromptTrainProgress progress;
    std::mutex mu;
    std::optional<Result<json>> result;  // guarded by mu
  };

  TrainingSettings settings_;
  TrainerLeftovers& leftovers_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::future<void> search_;
  std::string output_, version_;
  int64_t deadline_ms_ = 0;
  Status failure_;
  json metrics_;
  bool collected_ = false;
};

}  // namespace

std::unique_ptr<Trainer> MakePromptTrainer(const TrainingSettings& settings, TrainerLeftovers& leftovers) {
  return std::make_unique<PromptBackend>(settings, leftovers);
}

}  // namespace kaizen::agents
