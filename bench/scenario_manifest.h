// The manifests the cycle benchmark runs, made from a scenario manifest
// (manifests/intent-router.yaml): data paths made absolute (the copy lives in
// a temp dir), the simulator's rate raised, or the simulator left out (an
// idle cluster for the footprint at rest).
#pragma once

#include <string>

namespace kaizen::bench {

// `text` with every `path: <relative>` made absolute against `base_dir`.
std::string AbsoluteDataPaths(const std::string& text, const std::string& base_dir);
// `text` with the simulator's rate_per_s set to `rate`.
std::string WithSimulatorRate(const std::string& text, int rate);
// `text` without the `  simulator:` section (and the comment lines just above it).
std::string WithoutSimulator(const std::string& text);

}  // namespace kaizen::bench
