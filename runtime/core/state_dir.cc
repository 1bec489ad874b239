#include "runtime/core/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::core {
namespace fs = std::filesystem;

StatePaths::StatePaths(std::string d)
    : dir(std::move(d)),
      db(dir + "/state.db"),
      runtime_json(dir + "/runtime.json"),
      lock(dir + "/runtime.lock"),
      logs(dir + "/logs"),
      artifacts(dir + "/artifacts") {}

std::string StatePaths::AgentLog(const std::string& agent_id) const { return logs + "/" + agent_id + ".log"; }

Status CreateStateDir(const StatePaths& paths) {
  for (const auto& d : {paths.dir, paths.logs, paths.artifacts}) {
    std::error_code ec;
    bool created = fs::create_directories(d, ec);
    if (ec) return Status::IOError("cannot create " + d + ": " + ec.message());
    if (created || d == paths.dir) ::chmod(d.c_str(), 0700);
  }
  return Status::OK();
}

Result<StateLock> StateLock::Acquire(const StatePaths& paths) {
  int fd = ::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open " + paths.lock + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    auto info = ReadRuntimeInfo(paths);
    std::string who = info.ok() ? " (pid " + std::to_string(info->pid) + ")" : "";
    return Status::AlreadyExists("a runtime" + who + " is already using " + paths.dir +
                                 "; stop it with `kaizen down --state-dir " + paths.dir + "`");
  }
  return StateLock(fd);
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

bool RuntimeAlive(const StatePaths& paths) {
  int fd = ::open(paths.lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool alive = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return alive;
}

Status WriteRuntimeInfo(const StatePaths& paths, const RuntimeInfo& info) {
  nlohmann::json j = {{"pid", info.pid},
                      {"cluster", info.cluster},
                      {"control", info.control_endpoint},
                      {"events", info.events_endpoint},
                      {"manifest", info.manifest},
                      {"started_ms", info.started_ms}};
  if (!info.server_public_key.empty()) j["curve_server_key"] = info.server_public_key;
  std::string tmp = paths.runtime_json + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!(out << j.dump(2) << "\n")) return Status::IOError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), paths.runtime_json.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<RuntimeInfo> ReadRuntimeInfo(const StatePaths& paths) {
  std::ifstream in(paths.runtime_json);
  if (!in) return Status::NotFound("no runtime is running for " + paths.dir);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(paths.runtime_json + " is not valid JSON");
  RuntimeInfo info;
  info.pid = j.value("pid", int64_t{0});
  info.cluster = j.value("cluster", "");
  info.control_endpoint = j.value("control", "");
  info.events_endpoint = j.value("events", "");
  info.manifest = j.value("manifest", "");
  info.started_ms = j.value("started_ms", int64_t{0});
  info.server_public_key = j.value("curve_server_key", "");
  return info;
}

Result<std::string> ResolveStateDir(const std::string& flag) {
  if (!flag.empty()) return fs::absolute(flag).lexically_normal().string();
  if (const char* env = std::getenv("KAIZEN_STATE_DIR"); env && *env) {
    return fs::absolute(env).lexically_normal().string();
  }
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(".kaizen", ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "state.db")) found.push_back(entry.path().string());
  }
  if (found.size() == 1) return fs::absolute(found[0]).lexically_normal().string();
  if (found.empty()) {
    return Status::NotFound("no cluster state found under ./.kaizen; pass --state-dir DIR or set KAIZEN_STATE_DIR");
  }
  std::string list;
  for (const auto& f : found) list += "\n  " + f;
  return Status::InvalidArgument("several clusters under ./.kaizen; pick one with --state-dir:" + list);
}

}  // namespace kaizen::core
