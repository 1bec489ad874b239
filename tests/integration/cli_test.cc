// The kaizen command line as a user meets it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::CommandResult;
using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;

TEST_CASE("kaizen validate accepts the demo manifest", "[cli]") {
  auto r = Kaizen("validate " + std::string(KAIZEN_SOURCE_DIR) + "/manifests/intent-router.yaml");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("valid") != std::string::npos);
}

TEST_CASE("kaizen validate reports every error with file:line:column and the key", "[cli]") {
  std::string src = std::string(KAIZEN_SOURCE_DIR) + "/manifests/intent-router.yaml";
  std::ifstream in(src);
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // An unknown key and a wrong type, in the same file.
  yaml = std::regex_replace(yaml, std::regex("interval_ms: \\d+"), "interval_ms: soon", std::regex_constants::format_first_only);
  yaml = std::regex_replace(yaml, std::regex("\nspec:\n"), "\nspec:\n  colour: blue\n", std::regex_constants::format_first_only);
  auto dir = std::filesystem::temp_directory_path() / ("kz-validate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string bad = (dir / "bad.yaml").string();
  std::ofstream(bad) << yaml;
  // Data paths resolve against the manifest's directory.
  std::filesystem::create_directories(dir / "data");
  std::filesystem::copy_file(std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl", dir / "data/clinc150.jsonl",
                             std::filesystem::copy_options::overwrite_existing);

  auto r = Kaizen("validate " + bad + " 2>&1");
  std::filesystem::remove_all(dir);
  INFO(r.out);
  CHECK(r.exit_code != 0);
  CHECK(std::regex_search(r.out, std::regex("bad\\.yaml:\\d+:\\d+: .*spec\\.colour")));
  CHECK(std::regex_search(r.out, std::regex("bad\\.yaml:\\d+:\\d+: .*interval_ms.*soon")));
}

TEST_CASE("commands on a state dir with no cluster say so", "[cli]") {
  auto dir = std::filesystem::temp_directory_path() / ("kz-none-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  CHECK(Kaizen("down --state-dir " + dir.string()).exit_code == 0);
  CHECK(Kaizen("status --state-dir " + dir.string() + " 2>/dev/null").exit_code == 3);
  std::filesystem::remove_all(dir);
}

TEST_CASE("kaizen up waits for the lock of a runtime that just died, and refuses while one runs", "[cli]") {
  TestCluster c("up-after-kill");
  std::filesystem::create_directories(c.state_dir());
  // What a runtime killed a moment ago leaves: runtime.json naming a pid
  // that is gone, and the state dir's lock still held (by the last of its
  // threads; here, by this test, which lets go after a second).
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  REQUIRE(dead > 0);
  REQUIRE(::waitpid(dead, nullptr, 0) == dead);
  auto write_info = [&](pid_t pid) {
    std::ofstream(c.state_dir() + "/runtime.json") << "{\"pid\": " << pid << ", \"cluster\": \"up-after-kill\"}";
  };
  int lock = ::open((c.state_dir() + "/runtime.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(lock >= 0);
  REQUIRE(::flock(lock, LOCK_EX | LOCK_NB) == 0);

  // A live pid holds it: refused, as before.
  write_info(::getpid());
  CHECK(Kaizen("up " + c.manifest_path() + " --detach --state-dir " + c.state_dir() + " 2>/dev/null").exit_code != 0);

  // A dead pid: `kaizen up` waits for the lock and starts.
  write_info(dead);
  std::thread release([lock] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ::close(lock);
  });
  CommandResult up = c.Up();
  release.join();
  CHECK(up.exit_code == 0);
  CHECK(c.RuntimePid() > 0);
  CHECK(c.Down().exit_code == 0);
}
