#include "runtime/metrics/metrics_server.h"

#include <httplib.h>

#include "runtime/base/clock.h"
#include "runtime/metrics/prometheus_text.h"

namespace kaizen::metrics {

MetricsServer::MetricsServer(Options options) : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const Options& options) {
  if (options.port <= 0 || options.port > 65535) {
    return Status::InvalidArgument("metrics port " + std::to_string(options.port) + " is not in 1..65535");
  }
  std::unique_ptr<MetricsServer> s(new MetricsServer(options));
  MetricsServer* self = s.get();
  s->server_->Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    auto snap = self->Latest();
    if (!snap) {
      res.status = 503;
      res.set_content("# the runtime has not published metrics yet\n", "text/plain");
      return;
    }
    res.set_content(snap->text, kTextContentType);
  });
  s->server_->Get("/healthz", [self](const httplib::Request&, httplib::Response& res) {
    auto snap = self->Latest();
    if (!snap) {
      res.status = 503;
      res.set_content(R"({"status":"starting"})", "application/json");
      return;
    }
    const int64_t age = MonoMs() - snap->mono_ms;
    if (age > self->options_.stale_after_ms) {
      // The loop stopped publishing: it is stuck or gone, not serving.
      res.status = 503;
      res.set_content(R"({"status":"stalled","last_snapshot_ms_ago":)" + std::to_string(age) + "}", "application/json");
      return;
    }
    if (!snap->serving) res.status = 503;  // e.g. stopping
    res.set_content(snap->health, "application/json");
  });
  s->server_->set_keep_alive_max_count(10);
  if (!s->server_->bind_to_port(options.bind, options.port)) {
    return Status::Unavailable("metrics: cannot listen on " + options.bind + ":" + std::to_string(options.port) +
                               " (in use, or not an address of this host); change spec.runtime.metrics.port");
  }
  s->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return s;
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsServer::Publish(std::string metrics_text, std::string health_json, bool serving) {
  auto snap = std::make_shared<Snapshot>();
  snap->serving = serving;
  snap->text = std::move(metrics_text);
  snap->health = std::move(health_json);
  snap->mono_ms = MonoMs();
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = std::move(snap);
}

std::shared_ptr<const MetricsServer::Snapshot> MetricsServer::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

std::string MetricsServer::url() const { return "http://" + options_.bind + ":" + std::to_string(options_.port); }

}  // namespace kaizen::metrics
