#include "runtime/core/state_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace kaizen;

TEST_CASE("the state dir is private, locked by one runtime, and tells where it listens", "[core]") {
  auto dir = std::filesystem::temp_directory_path() / ("kz-sd-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  core::StatePaths paths(dir.string());
  REQUIRE(core::CreateStateDir(paths).ok());
  struct stat st{};
  REQUIRE(::stat(paths.dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(std::filesystem::is_directory(paths.logs));
  CHECK(std::filesystem::is_directory(paths.artifacts));

  CHECK_FALSE(core::RuntimeAlive(paths));
  CHECK(core::ReadRuntimeInfo(paths).status().code() == Status::Code::kNotFound);
  {
    auto lock = core::StateLock::Acquire(paths);
    REQUIRE(lock.ok());
    CHECK(core::RuntimeAlive(paths));
    core::RuntimeInfo info{123, "demo", "ipc:///x/c.sock", "ipc:///x/e.sock", "/m.yaml", 99};
    REQUIRE(core::WriteRuntimeInfo(paths, info).ok());
    auto second = core::StateLock::Acquire(paths);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().message().find("pid 123") != std::string::npos);
    auto back = core::ReadRuntimeInfo(paths);
    REQUIRE(back.ok());
    CHECK(back->control_endpoint == "ipc:///x/c.sock");
    CHECK(back->cluster == "demo");
  }
  CHECK_FALSE(core::RuntimeAlive(paths));  // the lock went with its owner
  std::filesystem::remove_all(dir);
}

TEST_CASE("the state dir resolves from the flag, the environment, or the only cluster", "[core]") {
  auto flag = core::ResolveStateDir("some/dir");
  REQUIRE(flag.ok());
  CHECK(std::filesystem::path(*flag).is_absolute());
  ::setenv("KAIZEN_STATE_DIR", "/tmp/kz-env-dir", 1);
  CHECK(*core::ResolveStateDir("") == "/tmp/kz-env-dir");
  ::unsetenv("KAIZEN_STATE_DIR");

  // Neither: the only cluster under ./.kaizen (one with a state.db), else an error saying what to do.
  const auto old_cwd = std::filesystem::current_path();
  const auto work = std::filesystem::temp_directory_path() / ("kz-resolve-" + std::to_string(::getpid()));
  std::filesystem::create_directories(work / ".kaizen" / "demo");
  std::filesystem::create_directories(work / ".kaizen" / "no-state");  // not a cluster: no state.db
  std::filesystem::current_path(work);
  auto none = core::ResolveStateDir("");
  CHECK(none.status().code() == Status::Code::kNotFound);
  CHECK(none.status().message().find("--state-dir") != std::string::npos);
  std::ofstream(work / ".kaizen" / "demo" / "state.db") << "";
  auto only = core::ResolveStateDir("");
  REQUIRE(only.ok());
  CHECK(*only == (work / ".kaizen" / "demo").string());
  std::filesystem::create_directories(work / ".kaizen" / "other");
  std::ofstream(work / ".kaizen" / "other" / "state.db") << "";
  auto several = core::ResolveStateDir("");
  CHECK(several.status().code() == Status::Code::kInvalidArgument);
  CHECK(several.status().message().find("other") != std::string::npos);
  CHECK(several.status().message().find("demo") != std::string::npos);
  std::filesystem::current_path(old_cwd);
  std::filesystem::remove_all(work);
}
