// A cpp-httplib server on 127.0.0.1 for the simulator's HTTP tests, and a
// loop that polls a client until it has handed back enough completions.
#pragma once

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace kaizen::testing {

class HttpTestServer {
 public:
  HttpTestServer() {
    server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server.set_keep_alive_max_count(1000);
    // Without it, a reply's header and body segments meet the client's delayed
    // ACK (Nagle): about 40 ms per request on a reused connection.
    server.set_tcp_nodelay(true);
  }
  ~HttpTestServer() { Stop(); }

  // Listens on a free port (port 0) or on `at`; returns the port, 0 when it cannot.
  int Start(int at = 0) {
    port = at == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", at) ? at : 0);
    if (port > 0) thread_ = std::thread([this] { server.listen_after_bind(); });
    return port;
  }
  void Stop() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  httplib::Server server;
  int port = 0;

 private:
  std::thread thread_;
};

// A port nothing listens on (a moment ago it was free): connecting gets refused.
inline int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// Polls until `n` completions came back or `timeout` passed.
template <typename Client>
auto PollUntil(Client& client, size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) {
  decltype(client.Poll()) all;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (all.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (auto& c : client.Poll()) all.push_back(std::move(c));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return all;
}

}  // namespace kaizen::testing
