// `kaizen train-model`: the built-in trainer as a child process of the
// training agent, so a crash or a runaway run cannot take the agent down.
// stdout carries one line per step, which the agent parses:
//   progress <fraction> loss <loss> <message>
//   result {"train_rows":..,"replay_rows":..,"epochs":..,"final_loss":..,"seconds":..}
// Errors go to stderr; exit 0 on success, 1 on failure.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "agents/training/builtin_trainer.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {

int RunTrainModel(const TrainModelOptions& o) {
  agents::BuiltinTrainOptions t;
  t.base_path = o.base;
  t.dataset_path = o.dataset;
  t.replay_path = o.replay_data;
  t.replay_split = o.replay_split;
  t.replay_domains = o.replay_domains;
  t.replay_fraction = o.replay_fraction;
  t.epochs = o.epochs;
  t.version = o.version;
  t.output_path = o.output;
  t.holdout_output_path = o.holdout_output;
  auto stats = agents::RunBuiltinTraining(t, [](double fraction, double loss, const std::string& msg) {
    std::printf("progress %.4f loss %.6f %s\n", fraction, loss, msg.c_str());
    std::fflush(stdout);
  });
  if (!stats.ok()) {
    std::fprintf(stderr, "kaizen train-model: %s\n", stats.status().ToString().c_str());
    return kExitFailure;
  }
  nlohmann::json r = {{"train_rows", stats->train_rows}, {"replay_rows", stats->replay_rows},
                      {"epochs", stats->epochs},         {"final_loss", stats->final_loss},
                      {"seconds", stats->seconds}};
  if (stats->refit) {
    r["refit"] = true;
    r["holdout_train_rows"] = stats->holdout_train_rows;
    r["holdout_replay_rows"] = stats->holdout_replay_rows;
  }
  std::printf("result %s\n", r.dump().c_str());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace kaizen::cli
