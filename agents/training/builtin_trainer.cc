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

Result<BuiltinTrainStats> RunBuiltinTraining(const BuiltinTrainOptions& o, const TrainProgressFn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  auto report = [&](double f, double loss, const std::string& msg) {
    if (progress) progress(f, loss, msg);
  };
  if (o.epochs < 1) return Status::InvalidArgument("epochs must be at least 1");

  auto base = models::TextClassifier::Load(o.base_path);
  if (!base.ok()) return base.status().WithContext("loading base model " + o.base_path);

  auto data = models::LoadJsonlExamples(o.dataset_path, "train");
  if (!data.ok()) return data.status().WithContext("loading dataset " + o.dataset_path);
  if (data->examples.empty()) {
    return Status::InvalidArgument("dataset " + o.dataset_path + " has no rows with split \"train\" (" +
                                   std::to_string(data->lines) + " lines read, " + std::to_string(data->skipped()) +
                                   " skipped)");
  }

  BuiltinTrainStats stats;
  stats.train_rows = data->examples.size();
  std::vector<models::Example> examples = std::move(data->examples);
  std::mt19937_64 rng(o.seed);

  if (!o.replay_path.empty() && o.replay_fraction > 0) {
    auto replay = models::LoadJsonlExamples(o.replay_path, o.replay_split, o.replay_domains);
    if (!replay.ok()) return replay.status().WithContext("loading replay data " + o.replay_path);
    auto& old = replay->examples;
    stats.replay_rows = ReplayRowCount(o.replay_fraction, stats.train_rows, old.size());
    std::shuffle(old.begin(), old.end(), rng);
    examples.insert(examples.end(), std::make_move_iterator(old.begin()),
                    std::make_move_iterator(old.begin() + static_cast<std::ptrdiff_t>(stats.replay_rows)));
  }
  std::shuffle(examples.begin(), examples.end(), rng);
  report(0.0, 0.0,
         fmt::format("loaded {} new rows and {} replay rows; base model has {} labels", stats.train_rows,
                     stats.replay_rows, base->labels().size()));

  models::TrainOptions opts;
  opts.epochs = o.epochs;
  opts.seed = o.seed;
  opts.on_epoch = [&](const models::EpochStats& e) {
    stats.final_loss = e.mean_loss;
    // The last epoch reports just below 1: saving is still to come.
    double f = static_cast<double>(e.epoch) / static_cast<double>(e.epochs) * 0.99;
    report(f, e.mean_loss, fmt::format("epoch {}/{}", e.epoch, e.epochs));
  };
  auto model = models::TextClassifier::Train(examples, opts, &*base);
  if (!model.ok()) return model.status().WithContext("training");
  Status saved = model->Save(o.output_path, o.version);
  if (!saved.ok()) return saved.WithContext("saving model " + o.output_path);
  stats.epochs = o.epochs;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report(1.0, stats.final_loss, fmt::format("saved {} ({} labels)", o.version, model->labels().size()));
  return stats;
}

}  // namespace kaizen::agents
