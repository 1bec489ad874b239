#include "bench/teacher_reference.h"

#include <chrono>
#include <set>
#include <sstream>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/text_classifier.h"

namespace kaizen::bench {
namespace {

std::vector<std::string> StringList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsDefined() && n.IsSequence()) {
    for (const auto& item : n) {
      if (item.IsScalar()) out.push_back(item.Scalar());
    }
  }
  return out;
}

// "val,test" -> {"test", "val"}, as the simulator reads spec.simulator.split.
std::set<std::string> SplitList(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    if (!part.empty()) out.insert(part);
  }
  return out;
}

double Number(const std::optional<std::string>& text, double fallback) {
  if (!text) return fallback;
  try {
    return std::stod(*text);
  } catch (const std::exception&) {
    return fallback;
  }
}

Result<std::string> DataPath(const ManifestDoc& m, const std::string& dataset, const std::string& who) {
  auto path = m.Scalar("spec.data." + dataset + ".path");
  if (!path || path->empty())
    return Status::InvalidArgument(who + " uses dataset '" + dataset + "', which has no path in spec.data");
  return *path;
}

struct Trained {
  models::TextClassifier model;
  size_t examples = 0;
  double seconds = 0;
};

// A classifier from a manifest's `train:` block ({dataset, split, domains}),
// as datagen trains its teacher and the worker its v1.
Result<Trained> TrainFrom(const ManifestDoc& m, const std::string& block, const std::string& who) {
  auto path = DataPath(m, m.Scalar(block + ".dataset").value_or(""), block);
  if (!path.ok()) return path.status();
  const std::string split = m.Scalar(block + ".split").value_or("train");
  auto data = models::LoadJsonlExamples(*path, split, StringList(m.At(block + ".domains")));
  if (!data.ok()) return data.status().WithContext(who + ": training data");
  if (data->examples.empty())
    return Status::InvalidArgument(who + ": no examples in " + *path + " for split '" + split +
                                   "' and the domains of " + block);
  const auto t0 = std::chrono::steady_clock::now();
  auto model = models::TextClassifier::Train(data->examples, models::TrainOptions{});
  if (!model.ok()) return model.status().WithContext(who + ": training");
  return Trained{std::move(*model), data->examples.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

double Accuracy(const models::TextClassifier& model, const std::vector<models::Example>& pool) {
  size_t right = 0;
  for (const auto& ex : pool) right += model.Predict(ex.text).label == ex.label;
  return static_cast<double>(right) / static_cast<double>(pool.size());
}

}  // namespace

nlohmann::json TeacherReference::ToJson() const {
  return {{"teacher", teacher},
          {"model_accuracy", model_accuracy},
          {"noise", noise},
          {"label_accuracy", label_accuracy},
          {"train_examples", train_examples},
          {"test_examples", test_examples},
          {"labels", labels},
          {"train_seconds", train_seconds},
          {"train_split", train_split},
          {"test_splits", test_splits},
          {"worker_v1_accuracy", worker_accuracy ? nlohmann::json(*worker_accuracy) : nlohmann::json(nullptr)},
          {"worker_v1_train_examples", worker_train_examples}};
}

Result<TeacherReference> MeasureTeacher(const ManifestDoc& m) {
  TeacherReference r;
  const std::string backend = m.Scalar("spec.teachers.0.backend").value_or("builtin-classifier");
  if (backend != "builtin-classifier" || !m.At("spec.teachers.0.train").IsDefined())
    return Status::InvalidArgument("the teacher reference needs spec.teachers[0] to be a builtin-classifier with "
                                   "train data; this manifest's first teacher is '" + backend + "'");
  if (!m.At("spec.simulator").IsDefined())
    return Status::InvalidArgument("the teacher reference is scored on the simulator's data; this manifest has no "
                                   "spec.simulator");
  r.teacher = m.Scalar("spec.teachers.0.name").value_or("teacher");
  r.noise = Number(m.Scalar("spec.teachers.0.noise"), 0.0);
  r.train_split = m.Scalar("spec.teachers.0.train.split").value_or("train");

  // The simulator's after-drift pool, each example once.
  auto test_path = DataPath(m, m.Scalar("spec.simulator.dataset").value_or(""), "spec.simulator");
  if (!test_path.ok()) return test_path.status();
  r.test_splits = m.Scalar("spec.simulator.split").value_or("test");
  std::set<std::string> splits = SplitList(r.test_splits);
  if (splits.empty()) splits.insert("");  // all splits
  const std::vector<std::string> domains = StringList(m.At("spec.simulator.after_drift_domains"));
  std::vector<models::Example> pool;
  for (const std::string& split : splits) {
    auto test = models::LoadJsonlExamples(*test_path, split, domains);
    if (!test.ok()) return test.status().WithContext("teacher reference: the simulator's data");
    pool.insert(pool.end(), test->examples.begin(), test->examples.end());
  }
  if (pool.empty())
    return Status::InvalidArgument("teacher reference: no examples in " + *test_path + " for the simulator's splits '" +
                                   r.test_splits + "' and after_drift_domains");
  r.test_examples = pool.size();

  auto teacher = TrainFrom(m, "spec.teachers.0.train", "teacher reference");
  if (!teacher.ok()) return teacher.status();
  r.train_examples = teacher->examples;
  r.train_seconds = teacher->seconds;
  r.labels = teacher->model.labels().size();
  r.model_accuracy = Accuracy(teacher->model, pool);
  r.label_accuracy = (1 - r.noise) * r.model_accuracy + r.noise / static_cast<double>(r.labels);

  if (m.Scalar("spec.worker.skill.backend").value_or("builtin-classifier") == "builtin-classifier" &&
      m.At("spec.worker.skill.train").IsDefined()) {
    if (auto worker = TrainFrom(m, "spec.worker.skill.train", "worker v1 reference"); worker.ok()) {
      r.worker_accuracy = Accuracy(worker->model, pool);
      r.worker_train_examples = worker->examples;
    }
  }
  return r;
}

}  // namespace kaizen::bench
