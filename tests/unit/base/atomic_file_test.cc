#include "runtime/base/atomic_file.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/temp_dir.h"

using namespace kaizen;

TEST_CASE("a file written atomically replaces the old one whole and leaves no temporary behind", "[base]") {
  testing::TempDir dir("atomic");
  const std::string path = dir.file("summary.json");
  REQUIRE(WriteFileAtomically(path, "old").ok());
  REQUIRE(WriteFileAtomically(path, std::string(100000, 'x')).ok());
  auto back = ReadWholeFile(path, 1 << 20);
  REQUIRE(back.ok());
  CHECK(*back == std::string(100000, 'x'));
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  CHECK(files == 1);
  CHECK_FALSE(ReadWholeFile(path, 10).ok());  // over the limit: refused before reading
  CHECK_FALSE(WriteFileAtomically(dir.file("no/such/dir/f"), "x").ok());
}
