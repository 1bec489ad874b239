// kaizen fsck on a real cluster's state dir: ok after a run, and a damaged
// artifact or journal row is found and named.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;

TEST_CASE("kaizen fsck says ok for a cluster's store and names a damaged artifact", "[integration][fsck]") {
  TestCluster cluster("fsck");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 60000));
  // It reads while the cluster runs.
  auto live = Kaizen("fsck --state-dir " + cluster.state_dir());
  CHECK(live.exit_code == 0);
  CHECK(live.out.rfind("ok: ", 0) == 0);
  REQUIRE(cluster.Down().exit_code == 0);
  auto ok = Kaizen("fsck --state-dir " + cluster.state_dir());
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("1 artifacts hash to their names") != std::string::npos);

  // Damage the model file: fsck names it and fails.
  std::string model;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cluster.state_dir() + "/artifacts")) {
    if (e.is_regular_file() && e.path().string().find("/models/") != std::string::npos) model = e.path().string();
  }
  REQUIRE_FALSE(model.empty());
  std::ofstream(model, std::ios::app) << "x";
  auto bad = Kaizen("fsck --state-dir " + cluster.state_dir());
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("model v1") != std::string::npos);

  auto none = Kaizen("fsck --state-dir " + cluster.state_dir() + "/nowhere");
  CHECK(none.exit_code != 0);
}
