#include "agents/models/text_classifier.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "runtime/base/sha256.h"
#include "test_util.h"

using namespace kaizen;
using namespace kaizen::models;
using namespace kaizen::models::testing;

TEST_CASE("trained on all of CLINC150, the classifier clears the accuracy floor", "[models][classifier]") {
  const auto train = Clinc150("train");
  const auto test = Clinc150("test");
  REQUIRE(train.size() == 15000);
  REQUIRE(test.size() == 4500);

  auto model = TextClassifier::Train(train, TrainOptions{});
  REQUIRE(model.ok());
  CHECK(model->labels().size() == 150);
  // Measured 0.920 with the default options; the floor leaves room for harmless changes.
  const double accuracy = Accuracy(*model, test);
  INFO("test accuracy " << accuracy);
  CHECK(accuracy >= 0.88);
}

TEST_CASE("predictions carry a softmax confidence and a ranked top-k", "[models][classifier]") {
  const TextClassifier model = SmallModel();
  const Prediction p = model.Predict("what is the balance in my checking account");
  CHECK(p.label == "balance");
  CHECK(p.confidence > 0.0);
  CHECK(p.confidence <= 1.0);

  const auto top = model.PredictTopK("what is the balance in my checking account", 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].label == p.label);
  CHECK(top[0].confidence == Approx(p.confidence));
  CHECK(top[0].confidence >= top[1].confidence);
  CHECK(top[1].confidence >= top[2].confidence);
  CHECK(model.PredictTopK("x", 1000).size() == model.labels().size());

  const auto probs = model.Probabilities("turn off the lights");
  REQUIRE(probs.size() == model.labels().size());
  double sum = 0;
  for (float q : probs) sum += q;
  CHECK(sum == Approx(1.0).epsilon(1e-4));
  // A text without any known feature still gets an answer (the label prior).
  CHECK_FALSE(model.Predict("").label.empty());
}

TEST_CASE("training is deterministic for a seed", "[models][classifier]") {
  ScratchDir dir;
  const auto train = Clinc150("train", {"banking"});
  TrainOptions options;
  options.epochs = 3;
  options.features.buckets = 1u << 16;
  auto save = [&](const TrainOptions& o, const std::string& name) {
    auto m = TextClassifier::Train(train, o);
    REQUIRE(m.ok());
    REQUIRE(m->Save(dir.File(name), "v").ok());
    return *Sha256File(dir.File(name));
  };
  const std::string first = save(options, "a");
  CHECK(save(options, "b") == first);  // byte-for-byte the same model
  options.seed = 7;
  CHECK(save(options, "c") != first);
}

TEST_CASE("training reports progress and refuses bad input", "[models][classifier]") {
  const auto train = Clinc150("train", {"home"});
  TrainOptions options;
  options.epochs = 4;
  std::vector<EpochStats> seen;
  options.on_epoch = [&](const EpochStats& s) { seen.push_back(s); };
  REQUIRE(TextClassifier::Train(train, options).ok());
  REQUIRE(seen.size() == 4);
  CHECK(seen.front().epoch == 1);
  CHECK(seen.back().epoch == 4);
  CHECK(seen.back().mean_loss < seen.front().mean_loss);

  CHECK(TextClassifier::Train({}, TrainOptions{}).status().code() == Status::Code::kInvalidArgument);
  CHECK(TextClassifier::Train({{"text", ""}}, TrainOptions{}).status().code() ==
        Status::Code::kInvalidArgument);
  TrainOptions bad;
  bad.epochs = 0;
  CHECK_FALSE(TextClassifier::Train(train, bad).ok());
  bad = TrainOptions{};
  bad.learning_rate = -1;
  CHECK_FALSE(TextClassifier::Train(train, bad).ok());
  bad = TrainOptions{};
  bad.features.buckets = 0;
  CHECK_FALSE(TextClassifier::Train(train, bad).ok());
}

TEST_CASE("a warm-started child keeps its parent's labels and weights", "[models][classifier]") {
  ScratchDir dir;
  const std::vector<std::string> old_domains = {"banking", "home"};
  const TextClassifier trained = SmallModel(old_domains);
  REQUIRE(trained.Save(dir.File("parent"), "v1").ok());
  auto parent = TextClassifier::Load(dir.File("parent"));
  REQUIRE(parent.ok());
  const auto old_test = Clinc150("test", old_domains);
  const double parent_accuracy = Accuracy(*parent, old_test);

  SECTION("the starting point is the parent's model") {
    // A negligible step size: the child is its parent with room for new labels.
    TrainOptions options;
    options.epochs = 1;
    options.learning_rate = 1e-9;
    options.features.buckets = 1u << 10;  // ignored: the child keeps its parent's features
    auto child = TextClassifier::Train(Clinc150("train", {"auto_and_commute"}), options, &*parent);
    REQUIRE(child.ok());
    CHECK(child->features().buckets == parent->features().buckets);
    CHECK(child->parent_version() == "v1");
    CHECK(child->version().empty());
    REQUIRE(child->labels().size() == parent->labels().size() + 15);
    for (std::size_t i = 0; i < parent->labels().size(); ++i) CHECK(child->labels()[i] == parent->labels()[i]);
    // New labels start at zero weight; among the old labels the ranking is the parent's.
    const auto n = static_cast<std::ptrdiff_t>(parent->labels().size());
    for (const auto& e : old_test) {
      const auto pp = parent->Probabilities(e.text);
      const auto cp = child->Probabilities(e.text);
      CHECK(std::max_element(cp.begin(), cp.begin() + n) - cp.begin() ==
            std::max_element(pp.begin(), pp.end()) - pp.begin());
    }
  }

  SECTION("it learns new labels and, with a replay of old data, keeps the old ones") {
    std::vector<Example> mix = Clinc150("train", {"auto_and_commute"});
    const auto old_train = Clinc150("train", old_domains);
    for (std::size_t i = 0; i < old_train.size(); i += 2) mix.push_back(old_train[i]);  // 50% replay
    TrainOptions options;
    options.epochs = 3;
    auto child = TextClassifier::Train(mix, options, &*parent);
    REQUIRE(child.ok());
    const double new_accuracy = Accuracy(*child, Clinc150("test", {"auto_and_commute"}));
    const double old_accuracy = Accuracy(*child, old_test);
    INFO("parent on old " << parent_accuracy << ", child on old " << old_accuracy << ", child on new "
                          << new_accuracy);
    CHECK(new_accuracy > 0.85);
    CHECK(old_accuracy > parent_accuracy - 0.03);
  }
}
