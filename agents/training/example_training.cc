#include "agents/training/example_training.h"

#include <algorithm>

#include <spdlog/fmt/fmt.h>

#include "agents/memory/example_retrieval.h"
#include "agents/memory/memory_artifact.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

}  // namespace

Result<json> RunExampleTraining(const StrategyTrainingInputs& in) {
  const auto started = std::chrono::steady_clock::now();
  const PromptTrainJob& job = *in.job;
  const llm::PromptModel& base = *in.base;
  const std::string tag = "training:" + job.cycle_id;
  const int k = job.prompt.value("retrieved_examples", 8);
  const bool bounded = job.max_prompt_change || job.max_drift_from_anchor;

  // The pool: what the incumbent retrieved from, its fixed examples (unless
  // they stay in the prompt), then this cycle's train rows; corrections win.
  std::vector<models::Example> datasets, corrections;
  if (base.example_pool) {
    auto file = memory::ReadPinnedArtifact<memory::ExamplePoolFile>(
        "the example pool of " + job.base_version, base.example_pool->uri, base.example_pool->sha256);
    if (!file.ok()) return file.status();
    datasets = std::move(file->examples);
  }
  if (!bounded) datasets.insert(datasets.end(), base.examples.begin(), base.examples.end());
  for (const DatasetRow& r : *in.rows) {
    if (r.split != "train") continue;
    (LabelledByPerson(r) ? corrections : datasets).push_back({r.text, r.label});
  }
  const memory::ExamplePool pool = memory::PoolExamples(datasets, corrections);
  if (pool.examples.empty()) {
    return Status::InvalidArgument("dynamic_examples: no labelled example to retrieve from (the dataset has no train "
                                   "rows and the incumbent no examples)");
  }
  memory::ExamplePoolFile file;
  file.examples = pool.examples;
  file.provenance = {{"cycle", job.cycle_id},
                     {"version", job.version},
                     {"base_version", job.base_version},
                     {"dataset", job.dataset_path},
                     {"from_datasets", pool.from_datasets},
                     {"from_corrections", pool.from_corrections},
                     {"overridden", pool.overridden},
                     {"duplicates", pool.duplicates}};
  auto written = memory::WriteJsonArtifact(job.memory_dir, "examples", file.ToJson());
  if (!written.ok()) return written.status();
  in.note(fmt::format("example pool {}: {} examples ({} from datasets and the incumbent, {} corrections, {} "
                      "overridden by a correction, {} repeated inputs folded)",
                      written->uri, pool.examples.size(), pool.from_datasets, pool.from_corrections, pool.overridden,
                      pool.duplicates));

  int labels_added = 0;
  llm::PromptModel candidate = base;
  candidate.labels = LabelsWithData(base.labels, base.task, pool.examples, &labels_added);
  if (!bounded) candidate.examples.clear();
  if (labels_added > 0) in.note(fmt::format("{} labels the pool shows added to the label list", labels_added));
  if (bounded) in.note("the prompt change is bounded: the fixed examples stay in the prompt");

  auto base_assets = llm::LoadPromptAssets(base);
  if (!base_assets.ok()) return base_assets.status().WithContext("the incumbent " + job.base_version);
  const std::vector<models::Example> rows = ScoredRows(in);
  const CandidateScore before = ScoreModel(in, base, *base_assets, rows, tag);
  in.note(fmt::format("validation: incumbent {:.3f} on {} rows", before.score, before.rows));

  std::vector<int> ks = {std::max(1, k / 2), k};
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  json candidates = json::array();
  std::optional<llm::PromptModel> best;
  CandidateScore best_score;
  for (int each : ks) {
    if (in.progress && in.progress->cancel.load()) return Status::Unavailable("training cancelled");
    llm::PromptModel m = candidate;
    m.example_pool = llm::ExamplePoolRef{written->uri, written->sha256, each, 0};
    m.origin = fmt::format("{}: {} examples retrieved per input from a pool of {}", job.version, each,
                           pool.examples.size());
    auto assets = llm::LoadPromptAssets(m);
    if (!assets.ok()) return assets.status().WithContext("the candidate");
    const CandidateScore s = ScoreModel(in, m, *assets, rows, tag);
    in.note(fmt::format("candidate k={}: {:.3f} ({} correct of {}, {} errors)", each, s.score, s.correct, s.rows,
                        s.errors));
    candidates.push_back({{"origin", m.origin}, {"score", s.score}, {"correct", s.correct}, {"rows", s.rows},
                          {"errors", s.errors}, {"k", each}});
    if (in.progress) {
      std::lock_guard<std::mutex> lock(in.progress->mu);
      in.progress->events.push_back({0.2 + 0.8 * static_cast<double>(candidates.size()) / static_cast<double>(ks.size()),
                                     fmt::format("k={} scored {:.3f}", each, s.score), {}, nullptr});
    }
    if (!best || s.score > best_score.score) best = std::move(m), best_score = s;
  }
  best->origin += fmt::format(" (validation {:.3f}, baseline {:.3f})", best_score.score, before.score);
  if (Status s = llm::SavePromptModel(job.output_path, *best); !s.ok()) return s;

  json metrics = StrategyMetrics(in, "dynamic_examples", before, best_score, best->origin, started);
  metrics["candidates"] = std::move(candidates);
  metrics["example_pool"] = {{"uri", written->uri},
                             {"sha256", written->sha256},
                             {"examples", pool.examples.size()},
                             {"from_corrections", pool.from_corrections},
                             {"overridden", pool.overridden},
                             {"k", best->example_pool->k},
                             {"labels_added", labels_added},
                             {"fixed_examples_kept", bounded}};
  metrics["parameters"] = {{"shots", best->example_pool->k}};
  in.note("result " + metrics.dump());
  return metrics;
}

}  // namespace kaizen::agents
