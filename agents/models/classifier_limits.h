// Bounds shared by training and the model file reader: a model that trains can always
// be saved and loaded, and a file claiming more than this is refused before allocating.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kaizen::models {

inline constexpr std::size_t kMaxLabels = 100000;
inline constexpr std::size_t kMaxLabelBytes = 1024;
inline constexpr std::size_t kMaxVersionBytes = 1024;

}  // namespace kaizen::models
