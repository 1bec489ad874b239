// Helpers shared by the models tests: a scratch directory and the CLINC150 data.
#pragma once

#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/text_classifier.h"

namespace kaizen::models::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kz-models-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::string Clinc150Path() {
  return std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
}

// Examples of one split of the shipped CLINC150 copy; fails the test if it cannot be read.
inline std::vector<Example> Clinc150(const std::string& split,
                                     const std::vector<std::string>& domains = {}) {
  auto data = LoadJsonlExamples(Clinc150Path(), split, domains);
  if (!data.ok()) throw std::runtime_error(data.status().ToString());
  return std::move(data->examples);
}

inline double Accuracy(const TextClassifier& model, const std::vector<Example>& examples) {
  std::size_t right = 0;
  for (const auto& e : examples) right += model.Predict(e.text).label == e.label ? 1 : 0;
  return examples.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(examples.size());
}

// A cheap model for the tests that need one but not its accuracy.
inline TextClassifier SmallModel(const std::vector<std::string>& domains = {"banking", "home"}) {
  TrainOptions options;
  options.epochs = 3;
  options.features.buckets = 1u << 16;
  auto model = TextClassifier::Train(Clinc150("train", domains), options);
  if (!model.ok()) throw std::runtime_error(model.status().ToString());
  return std::move(model).value();
}

}  // namespace kaizen::models::testing
