#include "agents/datagen/dataset_writer.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

uint64_t SeedFromString(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void AssignSplits(std::vector<DatasetRow>& rows, double validation_fraction, uint64_t seed) {
  const std::size_t n = rows.size();
  std::size_t validation = static_cast<std::size_t>(std::llround(static_cast<double>(n) * validation_fraction));
  if (n >= 2 && validation_fraction > 0) validation = std::clamp<std::size_t>(validation, 1, n - 1);
  validation = std::min(validation, n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  for (std::size_t i = 0; i < n; ++i) rows[order[i]].split = i < validation ? "validation" : "train";
}

bool LabelledByPerson(const DatasetRow& row) { return row.teacher.rfind("human:", 0) == 0; }

Status WriteDatasetJsonl(const std::string& path, const std::vector<DatasetRow>& rows) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IOError("cannot write dataset " + path);
  for (const auto& r : rows) {
    nlohmann::json j = {{"text", r.text},       {"label", r.label},     {"split", r.split},
                        {"task_id", r.task_id}, {"tags", r.tags},       {"teacher", r.teacher},
                        {"selected_by", r.selected_by}};
    if (!r.worker_answer.empty()) j["worker_answer"] = r.worker_answer;
    // Replacement keeps one bad byte in an input from failing the whole dataset.
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  out.flush();
  if (!out) return Status::IOError("writing dataset " + path + " failed (disk full?)");
  return Status::OK();
}

}  // namespace kaizen::agents
