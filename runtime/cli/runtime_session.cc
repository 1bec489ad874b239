#include "runtime/cli/runtime_session.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "runtime/base/ids.h"
#include "runtime/bus/cluster_keys.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {

std::string OperatorName(const std::string& as) {
  if (!as.empty()) return as;
  for (const char* var : {"KAIZEN_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v && *v) return v;
  }
  return "";
}

std::unique_ptr<RuntimeSession> OpenDecisionSession(const std::string& command, const std::string& state_dir,
                                                    const std::string& key_file, const std::string& reason,
                                                    const std::string& reason_use, int* exit_code) {
  auto dir = core::ResolveStateDir(state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), dir.status().message().c_str());
    *exit_code = kExitInvalid;
    return nullptr;
  }
  if (reason.empty()) {
    std::fprintf(stderr, "%s: say why with --reason \"...\"; %s\n", command.c_str(), reason_use.c_str());
    *exit_code = kExitInvalid;
    return nullptr;
  }
  if (!core::RuntimeAlive(core::StatePaths(*dir))) {
    std::fprintf(stderr, "%s: no cluster is running for %s (start it with `kaizen up`)\n", command.c_str(),
                 dir->c_str());
    *exit_code = kExitNotRunning;
    return nullptr;
  }
  auto session = RuntimeSession::Open(*dir, key_file);
  if (!session.ok()) {
    std::fprintf(stderr, "%s: %s\n", command.c_str(), session.status().message().c_str());
    *exit_code = kExitNotRunning;
    return nullptr;
  }
  return std::move(*session);
}

Result<std::unique_ptr<RuntimeSession>> RuntimeSession::Open(const std::string& state_dir, const std::string& key_file,
                                                             int timeout_ms) {
  core::StatePaths paths(state_dir);
  if (!core::RuntimeAlive(paths)) {
    return Status::Unavailable("no runtime is running for " + state_dir);
  }
  auto info = core::ReadRuntimeInfo(paths);
  if (!info.ok()) return info.status();
  std::unique_ptr<RuntimeSession> s(new RuntimeSession(paths, *info));
  bus::BusClient::Options opts;
  opts.identity = "cli-" + std::to_string(::getpid()) + "-" + NewId();
  opts.control_endpoint = info->control_endpoint;
  std::string key_path;
  if (!info->server_public_key.empty()) {
    key_path = key_file;
    if (const char* env = std::getenv("KAIZEN_KEY_FILE"); key_path.empty() && env && *env) key_path = env;
    if (key_path.empty()) key_path = bus::KeysDir(state_dir) + "/admin.key";
    auto keys = bus::ReadSecretKeyFile(key_path);
    if (!keys.ok()) return keys.status().WithContext("the cluster uses CURVE; pass --key-file or set KAIZEN_KEY_FILE");
    opts.curve_server_key = info->server_public_key;
    opts.curve_keys = *keys;
  }
  auto client = bus::BusClient::Connect(s->context_, opts);
  if (!client.ok()) return client.status();
  s->client_ = std::move(client.value());
  bus::Envelope hello = s->NewRequest();
  hello.mutable_hello()->set_role("cli");
  hello.mutable_hello()->set_pid(::getpid());
  auto reply = s->Call(std::move(hello), timeout_ms);
  if (!reply.ok() && !key_path.empty() && reply.status().code() == Status::Code::kUnavailable) {
    // A refused key looks exactly like silence; name the likely cause.
    return Status::Unavailable(reply.status().message() + " (CURVE is on: is the public key of " + key_path +
                               " listed in the manifest's spec.runtime.security.clients?)");
  }
  if (!reply.ok()) return reply.status();
  return s;
}

bus::Envelope RuntimeSession::NewRequest() const {
  return bus::MakeEnvelope(client_ ? client_->identity() : "", "runtime");
}

Result<bus::Envelope> RuntimeSession::Call(bus::Envelope request, int timeout_ms) {
  auto reply = client_->Call(std::move(request), timeout_ms);
  if (!reply.ok()) return reply.status();
  if (reply->body_case() == bus::Envelope::kError) {
    return Status::FailedPrecondition("runtime: " + reply->error().message());
  }
  return reply;
}

}  // namespace kaizen::cli
