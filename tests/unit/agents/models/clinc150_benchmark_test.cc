// Not run by ctest (hidden tag): the figures quoted for the built-in classifier.
//   build/tests/unit/agents/models/models_test "[clinc150-benchmark]"
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>

#include "test_util.h"

using namespace kaizen::models;
using namespace kaizen::models::testing;

namespace {

// The demo's split: the worker starts on five domains, traffic drifts to the other five.
const std::vector<std::string> kOldDomains = {"banking", "credit_cards", "kitchen_and_dining", "home",
                                              "auto_and_commute"};
const std::vector<std::string> kNewDomains = {"travel", "utility", "work", "small_talk", "meta"};

TextClassifier TrainTimed(const std::vector<Example>& train, const char* what,
                          const TextClassifier* parent = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  auto model = TextClassifier::Train(train, TrainOptions{}, parent);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(model.ok());
  std::cout << what << ": " << train.size() << " examples, " << model->labels().size() << " labels, "
            << model->feature_rows() << " feature rows, trained in " << seconds << " s\n";
  return std::move(model).value();
}

}  // namespace

TEST_CASE("CLINC150 accuracy and training time", "[.][clinc150-benchmark]") {
  const auto test_all = Clinc150("test");
  const auto test_old = Clinc150("test", kOldDomains);
  const auto test_new = Clinc150("test", kNewDomains);

  const TextClassifier full = TrainTimed(Clinc150("train"), "all 10 domains");
  std::cout << "  accuracy on val:                 " << Accuracy(full, Clinc150("val")) << "\n"
            << "  accuracy on test:                " << Accuracy(full, test_all) << "\n"
            << "  accuracy on test, 5 old domains: " << Accuracy(full, test_old) << "\n";
  ScratchDir dir;
  REQUIRE(full.Save(dir.File("full"), "full").ok());
  std::cout << "  model file: " << std::filesystem::file_size(dir.File("full")) << " bytes\n";

  const TextClassifier old = TrainTimed(Clinc150("train", kOldDomains), "5 old domains");
  std::cout << "  accuracy on test, its 5 domains: " << Accuracy(old, test_old) << "\n"
            << "  accuracy on test, all 10:        " << Accuracy(old, test_all) << "\n";

  // The improvement the demo makes: a warm start on the new domains' data plus a replay
  // of half the old data, so the old skills are kept.
  std::vector<Example> mix = Clinc150("train", kNewDomains);
  const auto old_train = Clinc150("train", kOldDomains);
  for (std::size_t i = 0; i < old_train.size(); i += 2) mix.push_back(old_train[i]);
  const TextClassifier child = TrainTimed(mix, "warm start, new domains + 50% replay", &old);
  std::cout << "  accuracy on test, 5 old domains: " << Accuracy(child, test_old) << "\n"
            << "  accuracy on test, 5 new domains: " << Accuracy(child, test_new) << "\n"
            << "  accuracy on test, all 10:        " << Accuracy(child, test_all) << "\n";
}
