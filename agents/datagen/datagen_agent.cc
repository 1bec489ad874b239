#include "agents/datagen/datagen_agent.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/datagen/candidate_selector.h"
#include "agents/datagen/carried_labels.h"
#include "agents/datagen/collection_wait.h"
#include "agents/datagen/dataset_writer.h"
#include "agents/datagen/human_job.h"
#include "agents/models/llm/usage_message.h"
#include "agents/sdk/artifacts.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {

using sdk::Envelope;
namespace {

using json = nlohmann::json;

constexpr int64_t kRequeryMs = 2000;       // re-read the journal this often while waiting for inputs
constexpr int64_t kReplayAnswerMs = 10000;  // ask again if the runtime never answers a replay
constexpr uint32_t kReplayBatch = 1000;
constexpr double kLowConfidence = 0.5;

const char* const kKinds[] = {"task_result", "feedback"};

bool Ready(const std::future<Result<Teacher>>& f) {
  return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace

// One DataRequest in progress.
struct DatagenAgent::Job {
  Envelope request;
  v1::DataRequest data;
  std::string key;  // cycle_id/attempt
  uint64_t from_seq = 1;  // inputs are selected from journal events at or after this seq

  // Collecting: a replay pass reads task_result then feedback events, each
  // from where the last pass stopped.
  CandidatePool pool;
  uint64_t next_seq[2] = {0, 0};
  int stage = -1;  // index into kKinds while a pass runs; -1 between passes
  std::string replay_id;
  int64_t replay_sent_ms = 0;
  int64_t started_ms = 0, deadline_ms = 0, next_pass_ms = 0;
  std::size_t candidates = 0, qualifying = 0, failures = 0;
  std::size_t failures_at_start = 0;
  bool looked = false;  // a first look at the journal was taken (failures_at_start is set)
  // Labels carried from the dataset that made the base model (carried_labels.h).
  std::vector<DatasetRow> carried;
  std::unordered_set<std::string> carried_inputs;
  std::string carry_error;  // why none were carried although asked
  std::size_t already_labelled = 0;  // candidates dropped: their input is carried
  bool carry = false;  // carry_labels on and a dataset named to carry from

  // Labeling, on a thread.
  struct Outcome {
    Status status;
    sdk::Artifact artifact;
    int64_t train_rows = 0, validation_rows = 0, carried_rows = 0;
    int64_t teacher_calls = 0, corrections_used = 0;
    int64_t answers_reused = 0, over_budget = 0;  // label_ledger.h
    std::map<std::string, int64_t> corrected_by;
    std::set<std::string> new_labels;
  };
  Selection selection;
  std::shared_ptr<const Teacher> teacher;  // null when corrections alone make the dataset
  std::string corrections_only;            // why corrections alone make it ("" when the teacher labels too)
  std::size_t corrections = 0, corrections_unusable = 0;
  std::size_t total = 0;  // teacher calls
  int64_t call_budget = -1;  // calls the plan affords in all (its count, capped by its max_cost); -1: no cap
  std::unique_ptr<LabelLedger> ledger;  // the answers this job paid for, across restarts
  std::atomic<std::size_t> labeled{0};
  std::future<Outcome> labeling;
};

DatagenAgent::DatagenAgent() = default;
DatagenAgent::~DatagenAgent() = default;

Status DatagenAgent::OnStart() {
  jobs_ = std::make_unique<sdk::StageJobs>(
      sdk::StageJobs::Stage{"datagen", [this](const Envelope& e) { return StartJob(e); },
                            [this](sdk::StageJobs::StopReason why) { return Stop(why); }, nullptr},
      StagePort());
  Handle(Envelope::kDataRequest, [this](const Envelope& e) { jobs_->OnRequest(e); });
  Handle(Envelope::kReplayBatch, [this](const Envelope& e) { OnReplayBatch(e); });
  Handle(Envelope::kError, [this](const Envelope& e) { OnRuntimeError(e); });
  Handle(Envelope::kLabelAnswer, [this](const Envelope& e) { OnLabelAnswer(e); });

  settings_ = DatagenSettings::FromAgentSettings(settings());
  auto spec = FirstTeacher(settings());
  if (!spec.ok()) {
    // Not fatal for the agent: it answers each request with the reason.
    teacher_status_ = spec.status();
    spdlog::warn("datagen: {}", teacher_status_.message());
  } else {
    teacher_spec_ = *spec;
    const std::string state = state_dir();
    spdlog::info("datagen: preparing teacher {} (noise {}, ${} per call)", spec->name, spec->noise, spec->cost_per_call);
    SetState(v1::AGENT_STATE_BUSY, "preparing teacher " + spec->name);
    teacher_training_ = std::async(std::launch::async, [s = *spec, state] { return Teacher::LoadOrTrain(s, state); });
  }
  Every(200, [this] { Tick(); });
  return Status::OK();
}

void DatagenAgent::OnDrain() { jobs_->Drain(); }

Status DatagenAgent::Stop(sdk::StageJobs::StopReason why) {
  if (job_ && job_->labeling.valid()) {
    // The teacher's answers are paid for as they come: finish and use them.
    return Status::FailedPrecondition("labeling for cycle " + job_->request.cycle_id());
  }
  const bool draining = why == sdk::StageJobs::StopReason::kDraining;
  if (human_job_) {  // people's answers cannot be waited for
    WithdrawLabelRequests(draining ? "datagen is stopping" : "superseded by a new data request");
    human_job_.reset();
  }
  job_.reset();
  return Status::OK();
}

void DatagenAgent::PollTeacher() {
  if (!Ready(teacher_training_)) return;
  auto t = teacher_training_.get();
  if (!t.ok()) {
    teacher_status_ = t.status();
    spdlog::error("datagen: teacher unavailable: {}", teacher_status_.ToString());
  } else {
    teacher_ = std::make_shared<const Teacher>(std::move(*t));
    spdlog::info("datagen: teacher {} ready", teacher_->spec().name);
  }
  if (!job_ && !human_job_) SetState(v1::AGENT_STATE_IDLE, teacher_ ? "teacher " + teacher_->spec().name + " ready" : "no teacher");
}

Status DatagenAgent::StartJob(const Envelope& request) {
  const auto& data = request.data_request();
  // The job's own name (ledger file, seed): the same for every process that works on it.
  const std::string key = request.cycle_id() + "/" + std::to_string(data.attempt());
  const bool human = data.plan().strategy() == kHumanStrategy;
  // Without a teacher, or a plan without teacher calls, corrections in the
  // journal may still make a dataset: that is known once they are collected.
  if (human && data.plan().teacher_calls() <= 0) return Status::InvalidArgument("the plan asks for no labels");
  job_ = std::make_unique<Job>();
  job_->request = request;
  job_->data = data;
  job_->key = key;
  // Failures from before the change are mostly not what changed (old mistakes,
  // rating noise): with inputs_since "change" they do not take the budget.
  uint64_t from = std::max<uint64_t>(1, data.from_seq());
  if (settings_.inputs_since == DatagenSettings::InputsSince::kChange && data.change_seq() > from) {
    from = data.change_seq();
  }
  job_->from_seq = from;
  job_->carry = settings_.carry_labels && !data.carry_dataset_uri().empty();
  if (job_->carry) LoadCarried(*job_);
  job_->next_seq[0] = job_->next_seq[1] = from;
  job_->started_ms = MonoMs();
  job_->deadline_ms = job_->started_ms + int64_t{1000} * settings_.collect_timeout_s;
  spdlog::info("cycle {}: data request: {} calls to {}, policy {}, inputs from seq {}{}", request.cycle_id(),
               data.plan().teacher_calls(), data.plan().teacher(), data.plan().selection_policy(), from,
               from > 1 && from == data.change_seq() ? " (where the trigger dates the change)" : "");
  jobs_->Progress("collecting inputs for cycle " + request.cycle_id());
  SendReplay();
  return Status::OK();
}

void DatagenAgent::LoadCarried(Job& j) {
  const std::string& uri = j.data.carry_dataset_uri();
  auto path = sdk::PathFromUri(uri);
  auto rows = path.ok() ? ReadDatasetJsonl(*path) : Result<std::vector<DatasetRow>>(path.status());
  if (!rows.ok()) {
    // The new labels still make a dataset; the loss is said, not fatal.
    j.carry_error = rows.status().message();
    spdlog::warn("cycle {}: cannot carry the labels of {}: {}; the dataset holds this cycle's labels only",
                 j.request.cycle_id(), uri, j.carry_error);
    return;
  }
  j.carried = std::move(*rows);
  j.carried_inputs = LabelledInputs(j.carried);
  spdlog::info("cycle {}: carrying {} labelled rows from {} (the dataset that made {})", j.request.cycle_id(),
               j.carried.size(), uri, j.data.base_model());
}

void DatagenAgent::SendReplay() {
  Job& j = *job_;
  if (j.stage < 0) j.stage = 0;
  Envelope e;
  e.set_message_id(NewId());
  e.set_cycle_id(j.request.cycle_id());
  auto* r = e.mutable_replay_request();
  r->set_from_seq(j.next_seq[j.stage]);
  r->set_kind(kKinds[j.stage]);
  r->set_limit(kReplayBatch);
  j.replay_id = e.message_id();
  j.replay_sent_ms = MonoMs();
  Status s = Send("runtime", std::move(e));
  if (!s.ok()) spdlog::warn("datagen: replay request not sent: {}", s.ToString());
}

void DatagenAgent::OnReplayBatch(const Envelope& e) {
  if (!job_ || job_->stage < 0 || e.correlation_id() != job_->replay_id) return;  // stale answer
  Job& j = *job_;
  const auto& batch = e.replay_batch();
  for (const auto& ev : batch.events()) {
    if (ev.has_task_result()) j.pool.AddResult(ev.task_result(), ev.seq());
    if (ev.has_feedback()) j.pool.AddFeedback(ev.feedback(), ev.seq());
    j.next_seq[j.stage] = std::max(j.next_seq[j.stage], ev.seq() + 1);
  }
  if (!batch.done() && batch.events_size() > 0) {
    SendReplay();
    return;
  }
  if (j.stage == 0) {
    j.stage = 1;
    SendReplay();
    return;
  }
  j.stage = -1;
  j.replay_id.clear();
  Decide();
}

void DatagenAgent::OnRuntimeError(const Envelope& e) {
  if (!job_ || e.correlation_id() != job_->replay_id) {
    spdlog::warn("datagen: error from {}: {}", e.sender(), e.error().message());
    return;
  }
  // Try the pass again later; the deadline still bounds the wait.
  spdlog::warn("cycle {}: journal replay failed: {}; retrying", job_->request.cycle_id(), e.error().message());
  job_->stage = -1;
  job_->replay_id.clear();
  job_->next_pass_ms = MonoMs() + kRequeryMs;
}

void DatagenAgent::Decide() {
  Job& j = *job_;
  const bool dedupe = settings_.dedupe;
  auto candidates = j.pool.Candidates(dedupe);
  if (!j.carried_inputs.empty()) {
    const auto before = candidates.size();
    std::erase_if(candidates, [&](const Candidate& c) { return j.carried_inputs.count(NormalizeText(c.text)) > 0; });
    j.already_labelled = before - candidates.size();
  }
  SelectionOptions opts;
  opts.low_confidence = kLowConfidence;
  CandidateSelector selector(opts);
  const auto& plan = j.data.plan();
  const bool human = plan.strategy() == kHumanStrategy;  // people label: no teacher needed
  // Corrections label their inputs for teacher_samples; with the teacher's
  // label set known, they are fitted to it first.
  if (!human && teacher_) j.corrections_unusable = FitCorrectionsToLabels(candidates, teacher_->labels());
  j.candidates = candidates.size();
  j.qualifying = selector.CountQualifying(candidates);
  j.corrections = human ? 0 : CandidateSelector::CountCorrected(candidates);
  const auto wanted = static_cast<std::size_t>(std::max(0, plan.teacher_calls()));
  const int64_t now = MonoMs();
  const int64_t wait_s = std::max<int64_t>(0, (j.deadline_ms - now) / 1000);

  // No teacher will come, or the plan asks for no calls: corrections alone.
  const bool no_teacher = !human && !teacher_ && !teacher_training_.valid();
  if (no_teacher || (!human && wanted == 0)) {
    const std::string why =
        no_teacher
            ? "no teacher (" + (teacher_status_.ok() ? std::string("none configured") : teacher_status_.message()) + ")"
            : "the plan asks for no teacher calls";
    if (j.corrections == 0) {
      const std::string message =
          fmt::format("{} and no corrected answers in the journal since seq {} to learn from", why, j.from_seq);
      FailJob(no_teacher ? Status::Unavailable(message) : Status::InvalidArgument(message));
      return;
    }
    if (wanted > 0 && j.corrections < wanted && now < j.deadline_ms) {
      jobs_->Progress(fmt::format("collecting corrections for cycle {}: {}/{} ({}; waiting up to {} s more)",
                                  j.request.cycle_id(), j.corrections, wanted, why, wait_s));
      j.next_pass_ms = now + kRequeryMs;
      return;
    }
    j.corrections_only = why;
    opts.policy = plan.selection_policy();
    opts.focus.assign(plan.focus().begin(), plan.focus().end());
    opts.limit = wanted > 0 ? wanted : j.corrections;
    opts.corrections_first = true;
    opts.teacher_limit = 0;
    opts.seed = SeedFromString(j.key);
    j.selection = CandidateSelector(opts).Select(std::move(candidates));
    j.teacher = nullptr;
    spdlog::info("cycle {}: {}: the dataset is made of {} corrected answers ({} in the journal)",
                 j.request.cycle_id(), why, j.selection.rows.size(), j.corrections);
    StartLabeling();
    return;
  }

  j.failures = static_cast<std::size_t>(
      std::count_if(candidates.begin(), candidates.end(), [](const Candidate& c) { return c.thumbs_down; }));
  if (!j.looked) {
    j.looked = true;
    j.failures_at_start = j.failures;
  }
  CollectionProgress progress;
  progress.wanted = wanted;
  progress.failures = j.failures;
  progress.qualifying = j.qualifying;
  progress.failures_at_start = j.failures_at_start;
  progress.started_ms = j.started_ms;
  progress.now_ms = now;
  progress.deadline_ms = j.deadline_ms;
  const CollectionVerdict verdict = EnoughCollected(progress);
  if (!verdict.enough || (!teacher_ && !human)) {
    std::string detail =
        teacher_ || human ? fmt::format("collecting inputs for cycle {}: {}/{} failures, {} qualifying with low-confidence "
                                        "answers, {} inputs (waiting up to {} s more)",
                                        j.request.cycle_id(), j.failures, wanted, j.qualifying, j.candidates, wait_s)
                 : fmt::format("waiting for teacher {} to be trained ({} inputs collected)",
                               teacher_spec_ ? teacher_spec_->name : "", j.candidates);
    jobs_->Progress(detail);
    j.next_pass_ms = now + kRequeryMs;
    return;
  }
  if (candidates.empty()) {
    FailJob(Status::Unavailable(
        fmt::format("no candidate inputs: the journal has no answered tasks since seq {} after waiting {} s",
                    j.from_seq, (now - j.started_ms) / 1000)));
    return;
  }
  opts.policy = plan.selection_policy();
  opts.focus.assign(plan.focus().begin(), plan.focus().end());
  opts.limit = wanted;
  if (!human) {
    // Corrected inputs first, free; never spend more than the plan allows on
    // the rest, whatever the plan's call count says.
    opts.corrections_first = true;
    const double cost = teacher_->spec().cost_per_call;
    j.call_budget = static_cast<int64_t>(wanted);
    if (plan.max_cost() > 0 && cost > 0) {
      opts.teacher_limit = static_cast<std::size_t>(std::floor(plan.max_cost() / cost + 1e-9));
      j.call_budget = std::min<int64_t>(j.call_budget, static_cast<int64_t>(opts.teacher_limit));
    }
  }
  opts.seed = SeedFromString(j.key);
  j.selection = CandidateSelector(opts).Select(std::move(candidates));
  if (j.selection.policy != plan.selection_policy()) {
    spdlog::warn("cycle {}: unknown selection policy '{}'; using random", j.request.cycle_id(),
                 plan.selection_policy());
  }
  if (j.selection.rows.empty()) {
    FailJob(Status::InvalidArgument("the plan's budget affords no teacher call"));
    return;
  }
  const auto it = j.selection.counts.find("correction");
  const std::size_t corrected = it == j.selection.counts.end() ? 0 : static_cast<std::size_t>(it->second);
  spdlog::info("cycle {}: selected {} of {} inputs ({} failures, {} qualifying, {} corrected) by {}: {}",
               j.request.cycle_id(), j.selection.rows.size(), j.candidates, j.failures, j.qualifying, corrected,
               j.selection.policy, verdict.why);
  if (j.corrections_unusable > 0) {
    spdlog::warn("cycle {}: {} corrections are not labels of teacher {} (too long or several lines); their inputs "
                 "count as thumbs-down",
                 j.request.cycle_id(), j.corrections_unusable, teacher_->spec().name);
  }
  if (human) {
    StartHumanLabeling(j.request, j.data, j.key, j.selection.policy, std::move(j.selection.rows),
                       std::move(j.selection.counts), j.candidates, j.qualifying);
    job_.reset();
    return;
  }
  j.teacher = teacher_;
  if (opts.teacher_limit == 0) {
    j.corrections_only = "the plan's budget affords no teacher call";
  } else if (corrected >= wanted) {
    j.corrections_only = fmt::format("the corrections fill the plan's {} rows", wanted);
  }
  StartLabeling();
}

void DatagenAgent::StartLabeling() {
  Job& j = *job_;
  j.total = 0;
  if (j.teacher) {
    for (const auto& r : j.selection.rows) j.total += r.candidate.correction.empty();
  }
  const int concurrency = settings_.concurrency;
  const double validation_fraction = settings_.validation_fraction;
  const std::string state = state_dir();
  const std::string tmp_dir = state + "/artifacts/tmp";
  const std::string tmp = tmp_dir + "/dataset-" + NewId() + ".jsonl";
  const uint64_t seed = SeedFromString(j.key);
  if (j.teacher) {
    // What this job paid the teacher, kept across a crash of this agent (label_ledger.h).
    std::string name = j.key;
    std::replace(name.begin(), name.end(), '/', '-');
    auto ledger = LabelLedger::Open(state + "/datagen/ledger-" + name + ".jsonl");
    if (ledger.ok()) {
      j.ledger = std::move(*ledger);
      if (j.ledger->recovered() > 0) {
        spdlog::info("cycle {}: {} teacher answers already paid for by an earlier datagen process (${:.2f}): "
                     "reused, and counted in this dataset's spend",
                     j.request.cycle_id(), j.ledger->recovered(), j.ledger->cost());
      }
    } else {
      spdlog::warn("cycle {}: {}; a crash while labeling would pay for the labels again", j.request.cycle_id(),
                   ledger.status().ToString());
    }
  }
  auto teacher = j.teacher;
  Job* job = &j;  // the job outlives its future: it is reset only once the future is done
  j.labeling = std::async(std::launch::async, [=]() {
    Job::Outcome out;
    auto labeled = LabelSelection(job->selection.rows, teacher.get(), concurrency, seed, &job->labeled,
                                  "datagen:" + job->key, job->ledger.get(), job->call_budget);
    out.teacher_calls = labeled.teacher_calls;
    out.answers_reused = labeled.answers_reused;
    out.over_budget = labeled.over_budget;
    out.corrections_used = labeled.corrections_used;
    out.corrected_by = std::move(labeled.corrected_by);
    out.new_labels = std::move(labeled.new_labels);
    std::vector<DatasetRow> rows = std::move(labeled.rows);
    AssignSplits(rows, validation_fraction, seed);
    out.carried_rows = static_cast<int64_t>(AppendCarried(rows, job->carried));
    for (const auto& r : rows) (r.split == "validation" ? out.validation_rows : out.train_rows)++;
    std::error_code ec;
    std::filesystem::create_directories(tmp_dir, ec);
    out.status = WriteDatasetJsonl(tmp, rows);
    if (!out.status.ok()) return out;
    auto art = sdk::StoreArtifactFile(state, "datasets", "jsonl", tmp);
    if (!art.ok()) {
      out.status = art.status();
      return out;
    }
    out.artifact = *art;
    return out;
  });
}

void DatagenAgent::FinishLabeling() {
  Job& j = *job_;
  Job::Outcome out = j.labeling.get();
  if (!out.status.ok()) {
    FailJob(Status::Internal("writing the dataset failed: " + out.status.message()));
    return;
  }
  const Teacher* teacher = j.teacher.get();
  const int64_t calls = out.teacher_calls;
  const double cost_per_call = teacher ? teacher->spec().cost_per_call : 0.0;
  // An LLM teacher's cost is what its calls for this job cost (tokens priced).
  const auto usage = teacher ? teacher->usage_for("datagen:" + j.key) : models::llm::Usage{};
  // With a ledger, what every process of this job paid (an earlier one's calls included).
  const double cost = j.ledger                         ? j.ledger->cost()
                      : teacher && teacher->is_llm() ? usage.cost
                                                     : static_cast<double>(calls) * cost_per_call;
  const std::string name = teacher ? teacher->spec().name : "none";
  json provenance = {{"teacher", name},
                     {"cost_per_call", cost_per_call},
                     {"teacher_calls", calls},
                     {"teacher_cost", cost},
                     {"teacher_answers_reused", out.answers_reused},
                     {"teacher_calls_by_earlier_process", j.ledger ? j.ledger->recovered() : 0},
                     {"rows_over_budget", out.over_budget},
                     {"label_ledger", j.ledger ? j.ledger->path() : ""},
                     {"teacher_noise", teacher ? teacher->spec().noise : 0.0},
                     {"corrections_used", out.corrections_used},
                     {"corrected_by", out.corrected_by},
                     {"selection_policy", j.selection.policy},
                     {"requested_policy", j.data.plan().selection_policy()},
                     {"focus", std::vector<std::string>(j.data.plan().focus().begin(), j.data.plan().focus().end())},
                     {"source_task_ids_count", j.selection.rows.size()},
                     {"candidates", j.candidates},
                     {"qualifying", j.qualifying},
                     {"failures", j.failures},
                     {"corrections", j.corrections},
                     {"from_seq", j.from_seq},
                     {"change_seq", j.data.change_seq()},
                     {"inputs_since", DatagenSettings::Name(settings_.inputs_since)},
                     {"cycle_id", j.request.cycle_id()},
                     {"attempt", j.data.attempt()},
                     {"selected_by", j.selection.counts},
                     {"validation_fraction", settings_.validation_fraction}};
  if (!j.corrections_only.empty()) provenance["corrections_only"] = j.corrections_only;
  if (j.carry) {
    provenance["carried_from"] = j.data.carry_dataset_uri();
    provenance["carried_rows"] = out.carried_rows;
    provenance["already_labelled_inputs"] = j.already_labelled;
    if (!j.carry_error.empty()) provenance["carry_error"] = j.carry_error;
  }
  if (j.corrections_unusable > 0) provenance["corrections_unusable"] = j.corrections_unusable;
  if (!out.new_labels.empty()) {
    // A handful is enough to spot a typo; the count says how many there are.
    std::vector<std::string> some(out.new_labels.begin(), out.new_labels.end());
    provenance["correction_new_labels_count"] = some.size();
    if (some.size() > 20) some.resize(20);
    provenance["correction_new_labels"] = some;
  }
  if (teacher && teacher->is_llm()) {
    provenance["teacher_prompt_tokens"] = usage.prompt_tokens;
    provenance["teacher_completion_tokens"] = usage.completion_tokens;
    provenance["teacher_retries"] = usage.retries;
    provenance["teacher_failures"] = usage.failures;
  }
  Envelope reply;
  auto* ready = reply.mutable_dataset_ready();
  ready->set_dataset_id(out.artifact.sha256);
  ready->set_uri(out.artifact.uri);
  ready->set_sha256(out.artifact.sha256);
  ready->set_train_rows(out.train_rows);
  ready->set_validation_rows(out.validation_rows);
  ready->set_teacher_calls(static_cast<int32_t>(calls));
  ready->set_teacher_cost(cost);
  ready->set_provenance_json(provenance.dump());
  if (teacher && teacher->is_llm()) *ready->mutable_llm_usage() = models::llm::UsageMessage(usage);
  spdlog::info("cycle {}: dataset {} ready: {} train + {} validation rows ({} carried), {} corrections, {} calls to {} "
               "(${:.2f}){}",
               j.request.cycle_id(), out.artifact.uri, out.train_rows, out.validation_rows, out.carried_rows,
               out.corrections_used, calls, name, cost, j.corrections_only.empty() ? "" : "; corrections only: " + j.corrections_only);
  const std::string detail =
      fmt::format("dataset ready: {} rows labeled by {}, {} by corrections", calls, name, out.corrections_used);
  job_.reset();
  jobs_->Complete(std::move(reply), detail);
}

void DatagenAgent::FailJob(const Status& why) {
  job_.reset();
  jobs_->Fail(why);
}

void DatagenAgent::Tick() {
  PollTeacher();
  TickHuman();
  if (!job_) return;
  Job& j = *job_;
  if (j.labeling.valid()) {
    if (j.labeling.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      FinishLabeling();
      return;
    }
    if (!j.teacher) return;  // corrections only: nothing to wait for
    const auto& spec = j.teacher->spec();
    const std::size_t done = j.labeled.load();
    jobs_->Progress(fmt::format("labeling {}/{} with {} (${:.2f})", done, j.total, spec.name,
                                static_cast<double>(done) * spec.cost_per_call));
    return;
  }
  const int64_t now = MonoMs();
  if (j.stage >= 0) {
    if (now - j.replay_sent_ms > kReplayAnswerMs) {
      spdlog::warn("cycle {}: no answer to a journal replay in {} ms; asking again", j.request.cycle_id(),
                   kReplayAnswerMs);
      SendReplay();
    }
    return;
  }
  if (now >= j.next_pass_ms) SendReplay();
}

}  // namespace kaizen::agents
