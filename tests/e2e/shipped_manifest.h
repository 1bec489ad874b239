// A shipped manifest edited for a test run (EditedManifest), failing the test
// when the file no longer has one of the strings to replace: otherwise the
// test would quietly run another scenario than it says.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tests/integration/cluster_harness.h"

namespace kaizen::testing {

inline std::string ShippedManifest(const std::string& relative_path,
                                   const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string missing;
  std::string m = EditedManifest(relative_path, edits, &missing);
  INFO(relative_path << " no longer has: " << missing);
  REQUIRE(missing.empty());
  return m;
}

}  // namespace kaizen::testing
