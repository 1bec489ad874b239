// In-place softmax, shared by training and prediction so both see the same numbers.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace kaizen::models {

inline void SoftmaxInPlace(std::vector<float>& v) {
  if (v.empty()) return;
  const float max = *std::max_element(v.begin(), v.end());  // shift: exp never overflows
  double sum = 0;
  for (float& x : v) {
    x = std::exp(x - max);
    sum += x;
  }
  const auto inv = static_cast<float>(1.0 / sum);
  for (float& x : v) x *= inv;
}

}  // namespace kaizen::models
