#include "agents/models/weight_table.h"

#include <algorithm>
#include <cassert>

namespace kaizen::models {

WeightTable::WeightTable(uint32_t buckets, uint32_t cols)
    : buckets_(buckets), cols_(cols), index_(buckets, kNoRow) {}

uint32_t WeightTable::FindOrAdd(uint32_t bucket) {
  assert(bucket < buckets_);
  if (index_[bucket] != kNoRow) return static_cast<uint32_t>(index_[bucket]);
  const auto r = static_cast<uint32_t>(row_bucket_.size());
  index_[bucket] = static_cast<int32_t>(r);
  row_bucket_.push_back(bucket);
  data_.resize(data_.size() + cols_, 0.0f);
  return r;
}

void WeightTable::AddColumns(uint32_t n) {
  if (n == 0) return;
  const uint32_t wider = cols_ + n;
  std::vector<float> data(rows() * wider, 0.0f);
  for (std::size_t r = 0; r < rows(); ++r) {
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(r * cols_), cols_,
                data.begin() + static_cast<std::ptrdiff_t>(r * wider));
  }
  data_ = std::move(data);
  cols_ = wider;
}

}  // namespace kaizen::models
