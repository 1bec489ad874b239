// The weight matrix of a hashed-feature linear model, one row per feature bucket and
// one column per label. Only buckets that occurred in training have a row: with 2^18
// buckets and 150 labels a dense matrix would be 150 MB; the rows CLINC150 uses, 20 MB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kaizen::models {

class WeightTable {
 public:
  static constexpr int32_t kNoRow = -1;

  WeightTable() = default;
  WeightTable(uint32_t buckets, uint32_t cols);

  uint32_t buckets() const { return buckets_; }
  uint32_t cols() const { return cols_; }
  std::size_t rows() const { return row_bucket_.size(); }

  // Row of a bucket, or kNoRow. `bucket` must be < buckets().
  int32_t Find(uint32_t bucket) const { return index_[bucket]; }
  // Row of a bucket, appending a zero row when it has none.
  uint32_t FindOrAdd(uint32_t bucket);

  float* row(std::size_t r) { return data_.data() + r * cols_; }
  const float* row(std::size_t r) const { return data_.data() + r * cols_; }
  uint32_t bucket_of(std::size_t r) const { return row_bucket_[r]; }

  void ReserveRows(std::size_t n) {
    row_bucket_.reserve(n);
    data_.reserve(n * cols_);
  }

  // Widens every row by `n` zero columns (labels added by a warm start).
  void AddColumns(uint32_t n);

 private:
  uint32_t buckets_ = 0;
  uint32_t cols_ = 0;
  std::vector<int32_t> index_;        // bucket -> row, kNoRow when absent
  std::vector<uint32_t> row_bucket_;  // row -> bucket
  std::vector<float> data_;           // rows() x cols(), row-major
};

}  // namespace kaizen::models
