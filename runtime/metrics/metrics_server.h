// MetricsServer: GET /metrics (Prometheus text) and GET /healthz over HTTP
// (cpp-httplib), on its own thread. The runtime's loop never waits for it:
// it renders a snapshot and hands it over with Publish(), which only swaps a
// pointer under a mutex; a scrape copies that pointer and serves the text.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/base/result.h"

namespace httplib {
class Server;
}

namespace kaizen::metrics {

class MetricsServer {
 public:
  struct Options {
    std::string bind = "127.0.0.1";
    int port = 0;                       // must be > 0
    int64_t stale_after_ms = 10000;     // /healthz says 503 when no snapshot came for this long
  };

  // Binds and starts serving; an error names the address when it cannot bind.
  static Result<std::unique_ptr<MetricsServer>> Start(const Options& options);
  ~MetricsServer();  // stops the server and joins its thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The latest snapshot: the /metrics text, and the JSON body /healthz serves
  // (200 while `serving` and snapshots keep coming, else 503). Called by the runtime's loop.
  void Publish(std::string metrics_text, std::string health_json, bool serving = true);

  std::string url() const;  // http://BIND:PORT

 private:
  struct Snapshot {
    std::string text, health;
    bool serving = true;
    int64_t mono_ms = 0;
  };
  explicit MetricsServer(Options options);
  std::shared_ptr<const Snapshot> Latest() const;

  Options options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_;  // guarded by mu_
};

}  // namespace kaizen::metrics
