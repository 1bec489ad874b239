// The HTTP side of the gateway benchmark: a lean HTTP/1.1 client for the
// open-loop driver. One thread, a pool of up to `max_connections` keep-alive
// TCP connections in one epoll set, one request in flight per connection (no
// pipelining). Like libcurl's and httpx's pools, a connection is opened when
// a request finds none free (until the maximum) and then kept; a request goes
// out on the most recently freed one (a stack: warm connections are reused).
// With every connection busy and the maximum reached, a request waits in a
// queue, and that wait counts in its latency. Requests are written from
// pre-built bytes; answers are read by Content-Length and checked: status
// 200 and a JSON body with "output".
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "bench/open_loop.h"

namespace kaizen::bench {

class HttpTransport : public Transport {
 public:
  // `bodies[i % bodies.size()]` is the JSON body of request i, POSTed to
  // `path`. Opens `open_now` connections (at least one) at once; throws if
  // they cannot be made.
  HttpTransport(int port, std::string path, std::vector<std::string> bodies, int max_connections, int open_now = 1);
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  void Issue(uint64_t i) override;
  void Wait(int64_t deadline_ns, const Done& done) override;
  nlohmann::json Stats() const override;

 private:
  struct Conn {
    int fd = -1;
    bool busy = false;
    uint64_t request = 0;
    const std::string* out = nullptr;  // the request being written, from out_at on
    size_t out_at = 0;
    bool want_out = false;  // EPOLLOUT asked for (the socket buffer was full)
    std::string in;         // bytes of the answer read so far
  };
  int Connect(size_t c);
  bool Open();  // one more connection, idle; false at the maximum or if it fails
  void SendOn(size_t c, uint64_t i);
  void Flush(size_t c);
  void Fail(size_t c);  // the connection broke: its request fails, it is made again
  void ReadFrom(size_t c, const Done& done);
  void Free(size_t c);
  void CloseAll();

  int port_;
  size_t max_connections_;
  std::vector<std::string> requests_;  // whole requests, by i % size
  std::vector<Conn> conns_;
  std::vector<size_t> idle_;      // stack: the most recently freed on top
  std::deque<uint64_t> queue_;    // requests waiting for a connection
  std::vector<uint64_t> failed_;  // failed while issuing: reported by the next Wait
  int epoll_ = -1;
  DeadlineTimer timer_;
  size_t max_queue_ = 0, max_busy_ = 0, busy_ = 0;
  uint64_t reconnects_ = 0, queued_ = 0, connect_failures_ = 0;
};

// One blocking GET on 127.0.0.1:port; the HTTP status, or -1.
int HttpGetStatus(int port, const std::string& path, int timeout_ms);

// A TCP port on 127.0.0.1 that was free a moment ago; 0 if none was found.
int FreeLocalPort();

}  // namespace kaizen::bench
