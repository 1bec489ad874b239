// The built-in trainer: warm-starts a TextClassifier from the base model on a
// cycle's dataset (its "train" rows) mixed with a replay sample of the worker's
// original training data, so old skills are not forgotten.
//
// Replay size: round(replay_fraction / (1 - replay_fraction) * new_rows), so
// that replay rows make up replay_fraction of the mix, capped at the rows the
// replay source has; replay_fraction 0 (or no replay source) adds none, and 1
// adds all of them. The sample is a seeded shuffle: same inputs, same model.
//
// Refit (holdout_output_path set): two models from one recipe. The holdout
// model is trained on the dataset's "train" rows and written to
// holdout_output_path: evaluation judges it on the "validation" rows it never
// saw. The model written to output_path - the one deployed - is then trained
// on "train" and "validation" rows together (its replay sized for that many
// new rows), so no bought label is left out of what serves. Same seed, same
// replay sample order, same epochs: they differ only by the held-out rows.
// A dataset without validation rows makes one model and no holdout file.
//
// Runs in the `kaizen train-model` child process (the training agent spawns
// it); it prints nothing itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/base/result.h"

namespace kaizen::agents {

struct BuiltinTrainOptions {
  std::string base_path;      // the base model file
  std::string dataset_path;   // the cycle's JSONL dataset
  std::string replay_path;    // the worker's original training data; empty = no replay
  std::string replay_split = "train";
  std::vector<std::string> replay_domains;
  double replay_fraction = 0.5;
  int epochs = 5;
  std::string version;        // stamped into the output model
  std::string output_path;
  std::string holdout_output_path;  // non-empty: refit (see above)
  uint64_t seed = 1;
};

struct BuiltinTrainStats {
  std::size_t train_rows = 0;   // new rows from the dataset in the output model
  std::size_t replay_rows = 0;
  bool refit = false;
  std::size_t holdout_train_rows = 0, holdout_replay_rows = 0;  // the holdout model's, with refit
  int epochs = 0;
  double final_loss = 0;
  double seconds = 0;
};

// progress(fraction in [0, 1], loss, message) after loading and after each epoch.
using TrainProgressFn = std::function<void(double fraction, double loss, const std::string& message)>;

Result<BuiltinTrainStats> RunBuiltinTraining(const BuiltinTrainOptions& options, const TrainProgressFn& progress);

// The number of replay rows to mix into `new_rows` new ones (see above).
std::size_t ReplayRowCount(double replay_fraction, std::size_t new_rows, std::size_t available);

}  // namespace kaizen::agents
