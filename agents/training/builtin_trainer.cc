#include "agents/training/builtin_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <spdlog/fmt/fmt.h>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/text_classifier.h"

namespace kaizen::agents {

std::size_t ReplayRowCount(double replay_fraction, std::size_t new_rows, std::size_t available) {
  if (replay_fraction <= 0 || available == 0) return 0;
  if (replay_fraction >= 1) return available;
  double want = std::round(replay_fraction / (1.0 - replay_fraction) * static_cast<double>(new_rows));
  return std::min(available, static_cast<std::size_t>(want));
}

namespace {

struct ReplayMix {
  std::vector<models::Example> examples;
  std::size_t new_rows = 0, replay_rows = 0;
};

// New rows plus their share of replay rows (the first of an already shuffled
// pool), shuffled with a generator seeded from `seed`.
ReplayMix MixWithReplay(const std::vector<models::Example>& fresh, const std::vector<models::Example>& replay_pool,
                  double replay_fraction, uint64_t seed) {
  ReplayMix m;
  m.examples = fresh;
  m.new_rows = fresh.size();
  m.replay_rows = ReplayRowCount(replay_fraction, fresh.size(), replay_pool.size());
  m.examples.insert(m.examples.end(), replay_pool.begin(),
                    replay_pool.begin() + static_cast<std::ptrdiff_t>(m.replay_rows));
  std::mt19937_64 rng(seed);
  std::shuffle(m.examples.begin(), m.examples.end(), rng);
  return m;
}

}  // namespace

Result<BuiltinTrainStats> RunBuiltinTraining(const BuiltinTrainOptions& o, const TrainProgressFn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  auto report = [&](double f, double loss, const std::string& msg) {
    if (progress) progress(f, loss, msg);
  };
  if (o.epochs < 1) return Status::InvalidArgument("epochs must be at least 1");
  bool refit = !o.holdout_output_path.empty();

  auto base = models::TextClassifier::Load(o.base_path);
  if (!base.ok()) return base.status().WithContext("loading base model " + o.base_path);

  auto data = models::LoadJsonlExamples(o.dataset_path, "train");
  if (!data.ok()) return data.status().WithContext("loading dataset " + o.dataset_path);
  if (data->examples.empty()) {
    return Status::InvalidArgument("dataset " + o.dataset_path + " has no rows with split \"train\" (" +
                                   std::to_string(data->lines) + " lines read, " + std::to_string(data->skipped()) +
                                   " skipped)");
  }
  std::vector<models::Example> held_out;
  if (refit) {
    auto validation = models::LoadJsonlExamples(o.dataset_path, "validation");
    if (!validation.ok()) return validation.status().WithContext("loading dataset " + o.dataset_path);
    held_out = std::move(validation->examples);
    refit = !held_out.empty();  // nothing held out: one model, no holdout file
  }

  std::vector<models::Example> replay_pool;
  if (!o.replay_path.empty() && o.replay_fraction > 0) {
    auto replay = models::LoadJsonlExamples(o.replay_path, o.replay_split, o.replay_domains);
    if (!replay.ok()) return replay.status().WithContext("loading replay data " + o.replay_path);
    replay_pool = std::move(replay->examples);
    std::mt19937_64 rng(o.seed);
    std::shuffle(replay_pool.begin(), replay_pool.end(), rng);
  }

  BuiltinTrainStats stats;
  stats.refit = refit;
  const int passes = refit ? 2 : 1;
  // One model: progress runs over [from, from + span) of the whole job.
  auto train_one = [&](const ReplayMix& mix, double from, double span, const std::string& what) -> Result<models::TextClassifier> {
    models::TrainOptions opts;
    opts.epochs = o.epochs;
    opts.seed = o.seed;
    opts.on_epoch = [&](const models::EpochStats& e) {
      stats.final_loss = e.mean_loss;
      // The last epoch reports just below 1: saving is still to come.
      double f = from + span * static_cast<double>(e.epoch) / static_cast<double>(e.epochs) * 0.99;
      report(f, e.mean_loss, fmt::format("{}epoch {}/{}", what, e.epoch, e.epochs));
    };
    return models::TextClassifier::Train(mix.examples, opts, &*base);
  };

  if (refit) {
    ReplayMix mix = MixWithReplay(data->examples, replay_pool, o.replay_fraction, o.seed);
    stats.holdout_train_rows = mix.new_rows;
    stats.holdout_replay_rows = mix.replay_rows;
    report(0.0, 0.0,
           fmt::format("holdout model: {} new rows and {} replay rows ({} validation rows held out); base model has "
                       "{} labels",
                       mix.new_rows, mix.replay_rows, held_out.size(), base->labels().size()));
    auto model = train_one(mix, 0.0, 1.0 / passes, "holdout model: ");
    if (!model.ok()) return model.status().WithContext("training the holdout model");
    Status saved = model->Save(o.holdout_output_path, o.version);
    if (!saved.ok()) return saved.WithContext("saving model " + o.holdout_output_path);
  }

  std::vector<models::Example> all = std::move(data->examples);
  all.insert(all.end(), std::make_move_iterator(held_out.begin()), std::make_move_iterator(held_out.end()));
  ReplayMix mix = MixWithReplay(all, replay_pool, o.replay_fraction, o.seed);
  stats.train_rows = mix.new_rows;
  stats.replay_rows = mix.replay_rows;
  const double from = refit ? 0.5 : 0.0;
  report(from, 0.0,
         fmt::format("{}{} new rows and {} replay rows; base model has {} labels", refit ? "refit on every row: " : "loaded ",
                     mix.new_rows, mix.replay_rows, base->labels().size()));
  auto model = train_one(mix, from, 1.0 / passes, refit ? "refit: " : "");
  if (!model.ok()) return model.status().WithContext("training");
  Status saved = model->Save(o.output_path, o.version);
  if (!saved.ok()) return saved.WithContext("saving model " + o.output_path);
  stats.epochs = o.epochs;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report(1.0, stats.final_loss, fmt::format("saved {} ({} labels)", o.version, model->labels().size()));
  return stats;
}

}  // namespace kaizen::agents
