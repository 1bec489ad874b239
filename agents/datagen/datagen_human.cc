// DatagenAgent, strategy human_demonstrations: the selected inputs go to
// people as label requests (through the runtime, which shows them to every
// attached `kaizen feedback` and hands back the first answer to each). When
// all are answered, or collect_timeout_s passes, the answered ones become the
// dataset: fewer than asked shrinks it (said in the provenance and the log);
// none fails the stage with what to do about it.
#include <filesystem>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/datagen/datagen_agent.h"
#include "agents/datagen/human_job.h"
#include "agents/sdk/artifacts.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {

using sdk::Envelope;


void DatagenAgent::StartHumanLabeling(const Envelope& request, const v1::DataRequest& data, const std::string& key,
                                      const std::string& policy, std::vector<SelectedCandidate> rows,
                                      std::map<std::string, int64_t> counts, std::size_t candidates,
                                      std::size_t qualifying) {
  auto job = std::make_unique<HumanJob>();
  job->request = request;
  job->data = data;
  job->key = key;
  job->policy = policy;
  job->selected_by = std::move(counts);
  job->candidates = candidates;
  job->qualifying = qualifying;
  const int64_t wait_s = settings_.collect_timeout_s;
  job->started_ms = MonoMs();
  job->deadline_ms = job->started_ms + wait_s * 1000;
  // Requests expire with the wait, so the runtime closes them for everyone.
  job->batch = std::make_unique<HumanLabelBatch>("lr-" + NewId().substr(0, 12), rows, WallMs() + wait_s * 1000);
  for (const auto& r : job->batch->requests()) {
    Envelope e;
    e.set_cycle_id(request.cycle_id());
    *e.mutable_label_request() = r;
    if (Status s = Send("runtime", std::move(e)); !s.ok()) {
      spdlog::warn("datagen: label request {} not sent: {}", r.request_id(), s.ToString());
    }
  }
  spdlog::info("cycle {}: asked people for {} labels ({} selected by {}); waiting up to {} s", request.cycle_id(),
               job->batch->total(), job->batch->total(), policy, wait_s);
  human_job_ = std::move(job);
  jobs_->Progress(fmt::format("waiting for people: 0/{} labels for cycle {}", human_job_->batch->total(),
                              request.cycle_id()));
}

void DatagenAgent::OnLabelAnswer(const Envelope& e) {
  if (!human_job_) return;  // an answer to a batch that is over
  if (!human_job_->batch->Answer(e.label_answer())) return;
  const auto& a = e.label_answer();
  spdlog::info("cycle {}: {} labeled request {} as '{}' ({}/{})", human_job_->request.cycle_id(), a.answered_by(),
               a.request_id(), a.label(), human_job_->batch->answered(), human_job_->batch->total());
  jobs_->Progress(fmt::format("waiting for people: {}/{} labels for cycle {}", human_job_->batch->answered(),
                              human_job_->batch->total(), human_job_->request.cycle_id()));
  if (human_job_->batch->complete()) FinishHumanLabeling("");
}

void DatagenAgent::TickHuman() {
  if (!human_job_ || MonoMs() < human_job_->deadline_ms) return;
  const HumanJob& j = *human_job_;
  const int64_t waited = (MonoMs() - j.started_ms) / 1000;
  if (j.batch->answered() == 0) {
    const std::string message = fmt::format(
        "nobody answered any of the {} label requests in {} s (datagen.collect_timeout_s); attach a person with "
        "`kaizen feedback --state-dir {}` or allow teacher_samples in spec.planning.strategies",
        j.batch->total(), waited, state_dir());
    spdlog::error("cycle {}: {}", j.request.cycle_id(), message);
    WithdrawLabelRequests("nobody answered in time");
    human_job_.reset();
    jobs_->Fail(Status::Unavailable(message));
    return;
  }
  FinishHumanLabeling(fmt::format("shrunk to the {} of {} labels people gave in {} s (datagen.collect_timeout_s)",
                                  j.batch->answered(), j.batch->total(), waited));
}

void DatagenAgent::WithdrawLabelRequests(const std::string& reason) {
  if (!human_job_ || human_job_->batch->complete()) return;
  Envelope e;
  e.set_cycle_id(human_job_->request.cycle_id());
  e.mutable_request_closed()->set_reason("withdrawn: " + reason);  // no id: every open request of this agent
  if (Status s = Send("runtime", std::move(e)); !s.ok()) {
    // The requests expire by themselves at the wait's end.
    spdlog::warn("datagen: withdrawing label requests: {}", s.ToString());
  }
}

void DatagenAgent::FinishHumanLabeling(const std::string& shrunk) {
  HumanJob& j = *human_job_;
  WithdrawLabelRequests(shrunk.empty() ? "done" : shrunk);
  std::vector<DatasetRow> rows = j.batch->Rows();
  const uint64_t seed = SeedFromString(j.key);
  AssignSplits(rows, settings_.validation_fraction, seed);
  int64_t train_rows = 0, validation_rows = 0;
  for (const auto& r : rows) (r.split == "validation" ? validation_rows : train_rows)++;
  const std::string tmp_dir = state_dir() + "/artifacts/tmp";
  const std::string tmp = tmp_dir + "/dataset-" + NewId() + ".jsonl";
  std::error_code ec;
  std::filesystem::create_directories(tmp_dir, ec);
  Status s = WriteDatasetJsonl(tmp, rows);
  Result<sdk::Artifact> art = s.ok() ? sdk::StoreArtifactFile(state_dir(), "datasets", "jsonl", tmp) : Result<sdk::Artifact>(s);
  if (!art.ok()) {
    human_job_.reset();
    jobs_->Fail(Status::Internal("writing the dataset failed: " + art.status().message()));
    return;
  }
  nlohmann::json provenance = {{"strategy", kHumanStrategy},
                               {"teacher", "human"},
                               {"labeled_by", j.batch->ByPerson()},
                               {"labels_requested", j.batch->total()},
                               {"labels_answered", j.batch->answered()},
                               {"teacher_calls", 0},
                               {"teacher_cost", 0.0},
                               {"selection_policy", j.policy},
                               {"requested_policy", j.data.plan().selection_policy()},
                               {"focus", std::vector<std::string>(j.data.plan().focus().begin(),
                                                                  j.data.plan().focus().end())},
                               {"source_task_ids_count", rows.size()},
                               {"candidates", j.candidates},
                               {"qualifying", j.qualifying},
                               {"from_seq", j.data.from_seq()},
                               {"cycle_id", j.request.cycle_id()},
                               {"attempt", j.data.attempt()},
                               {"selected_by", j.selected_by},
                               {"validation_fraction", settings_.validation_fraction}};
  if (!shrunk.empty()) provenance["shrunk"] = shrunk;
  Envelope reply;
  auto* ready = reply.mutable_dataset_ready();
  ready->set_dataset_id(art->sha256);
  ready->set_uri(art->uri);
  ready->set_sha256(art->sha256);
  ready->set_train_rows(train_rows);
  ready->set_validation_rows(validation_rows);
  ready->set_teacher_calls(0);
  ready->set_teacher_cost(0);
  ready->set_provenance_json(provenance.dump());
  spdlog::info("cycle {}: dataset {} ready: {} train + {} validation rows labeled by people {}{}", j.request.cycle_id(),
               art->uri, train_rows, validation_rows, nlohmann::json(j.batch->ByPerson()).dump(),
               shrunk.empty() ? "" : "; " + shrunk);
  const std::size_t n = rows.size();
  human_job_.reset();
  jobs_->Complete(std::move(reply), fmt::format("dataset ready: {} rows labeled by people", n));
}

}  // namespace kaizen::agents
