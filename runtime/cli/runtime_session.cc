#include "runtime/cli/runtime_session.h"

#include <unistd.h>

#include "runtime/base/ids.h"

namespace kaizen::cli {

Result<std::unique_ptr<RuntimeSession>> RuntimeSession::Open(const std::string& state_dir, int timeout_ms) {
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
  auto client = bus::BusClient::Connect(s->context_, opts);
  if (!client.ok()) return client.status();
  s->client_ = std::move(client.value());
  bus::Envelope hello = s->NewRequest();
  hello.mutable_hello()->set_role("cli");
  hello.mutable_hello()->set_pid(::getpid());
  auto reply = s->Call(std::move(hello), timeout_ms);
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
