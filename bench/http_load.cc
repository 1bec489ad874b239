#include "bench/http_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace kaizen::bench {
namespace {

constexpr uint64_t kTimerKey = ~uint64_t{0};

int ConnectLoopback(int port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The status of a complete HTTP/1.1 answer at the start of `in`, and its
// length in bytes; 0 while it is incomplete; -1 if it cannot be parsed.
long ParseAnswer(const std::string& in, int* status, size_t* body_at) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return in.size() > 65536 ? -1 : 0;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 && in.compare(0, 9, "HTTP/1.0 ") != 0) return -1;
  *status = std::atoi(in.c_str() + 9);
  size_t length = 0;
  bool found = false;
  for (size_t line = in.find("\r\n"); line < end; line = in.find("\r\n", line + 2)) {
    static const char kName[] = "content-length:";
    if (line + 2 + sizeof kName - 1 > end || ::strncasecmp(in.c_str() + line + 2, kName, sizeof kName - 1) != 0)
      continue;
    length = std::strtoul(in.c_str() + line + 2 + sizeof kName - 1, nullptr, 10);
    found = true;
    break;
  }
  if (!found) return -1;  // the gateway answers tasks with a Content-Length
  *body_at = end + 4;
  return in.size() >= end + 4 + length ? static_cast<long>(end + 4 + length) : 0;
}

}  // namespace

int FreeLocalPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

int HttpGetStatus(int port, const std::string& path, int timeout_ms) {
  int fd = ConnectLoopback(port, timeout_ms);
  if (fd < 0) return -1;
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  int status = -1;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    std::string in;
    char buf[4096];
    ssize_t n;
    while (in.find("\r\n") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) in.append(buf, n);
    if (in.size() > 12 && in.compare(0, 5, "HTTP/") == 0) status = std::atoi(in.c_str() + 9);
  }
  ::close(fd);
  return status;
}

HttpTransport::HttpTransport(int port, std::string path, std::vector<std::string> bodies, int max_connections,
                             int open_now)
    : port_(port), max_connections_(static_cast<size_t>(std::max(1, max_connections))),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
  for (const std::string& body : bodies) {
    requests_.push_back("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerKey;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_.fd(), &ev);
  conns_.reserve(max_connections_);  // never moves: Conn references stay valid
  for (int k = 0; k < std::max(1, open_now); ++k) {
    if (Open()) continue;
    CloseAll();
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  std::reverse(idle_.begin(), idle_.end());  // the first one on top
}

bool HttpTransport::Open() {
  if (conns_.size() >= max_connections_) return false;
  const size_t c = conns_.size();
  const int fd = Connect(c);
  if (fd < 0) {
    ++connect_failures_;
    return false;
  }
  conns_.emplace_back();
  conns_[c].fd = fd;
  idle_.push_back(c);
  return true;
}

HttpTransport::~HttpTransport() { CloseAll(); }

void HttpTransport::CloseAll() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }
  if (epoll_ >= 0) ::close(epoll_);
  epoll_ = -1;
}

int HttpTransport::Connect(size_t c) {
  int fd = ConnectLoopback(port_, 5000);
  if (fd < 0) return -1;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = c;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  return fd;
}

void HttpTransport::Issue(uint64_t i) {
  if (idle_.empty()) Open();  // no-op at the maximum
  if (idle_.empty()) {
    queue_.push_back(i);
    ++queued_;
    max_queue_ = std::max(max_queue_, queue_.size());
    return;
  }
  const size_t c = idle_.back();
  idle_.pop_back();
  SendOn(c, i);
}

void HttpTransport::SendOn(size_t c, uint64_t i) {
  Conn& conn = conns_[c];
  conn.busy = true;
  conn.request = i;
  conn.out = &requests_[i % requests_.size()];
  conn.out_at = 0;
  max_busy_ = std::max(max_busy_, ++busy_);
  Flush(c);
}

void HttpTransport::Flush(size_t c) {
  Conn& conn = conns_[c];
  while (conn.out && conn.out_at < conn.out->size()) {
    ssize_t n = ::send(conn.fd, conn.out->data() + conn.out_at, conn.out->size() - conn.out_at, MSG_NOSIGNAL);
    if (n > 0) {
      conn.out_at += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!conn.want_out) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = c;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &ev);
        conn.want_out = true;
      }
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    Fail(c);
    return;
  }
  conn.out = nullptr;
  if (conn.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &ev);
    conn.want_out = false;
  }
}

void HttpTransport::Fail(size_t c) {
  Conn& conn = conns_[c];
  if (conn.busy) {
    failed_.push_back(conn.request);
    conn.busy = false;
    --busy_;
  }
  if (conn.fd >= 0) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, conn.fd, nullptr);
    ::close(conn.fd);
  }
  conn.out = nullptr;
  conn.want_out = false;
  conn.in.clear();
  ++reconnects_;
  conn.fd = Connect(c);
  if (conn.fd >= 0) Free(c);  // else it stays out of use
}

void HttpTransport::Free(size_t c) {
  if (!queue_.empty()) {
    const uint64_t i = queue_.front();
    queue_.pop_front();
    SendOn(c, i);
    return;
  }
  idle_.push_back(c);
}

void HttpTransport::ReadFrom(size_t c, const Done& done) {
  Conn& conn = conns_[c];
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(conn.fd, buf, sizeof buf, 0);
    if (n > 0) {
      conn.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Fail(c);  // closed by the server, or an error
    return;
  }
  while (!conn.in.empty()) {
    if (!conn.busy) {  // bytes nobody asked for
      Fail(c);
      return;
    }
    int status = 0;
    size_t body_at = 0;
    const long used = ParseAnswer(conn.in, &status, &body_at);
    if (used == 0) return;
    if (used < 0) {
      Fail(c);
      return;
    }
    if (status == 200 && conn.in.find("\"output\"", body_at) >= static_cast<size_t>(used)) status = 0;
    conn.in.erase(0, static_cast<size_t>(used));
    const uint64_t request = conn.request;
    conn.busy = false;
    --busy_;
    done(request, status);
    Free(c);
  }
}

void HttpTransport::Wait(int64_t deadline_ns, const Done& done) {
  timer_.ArmAt(deadline_ns);
  epoll_event events[128];
  int n = ::epoll_wait(epoll_, events, 128, failed_.empty() ? -1 : 0);
  for (int k = 0; k < n; ++k) {
    const uint64_t key = events[k].data.u64;
    if (key == kTimerKey) {
      timer_.Clear();
      continue;
    }
    const auto c = static_cast<size_t>(key);
    if (c >= conns_.size() || conns_[c].fd < 0) continue;
    if (events[k].events & EPOLLOUT) Flush(c);
    if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ReadFrom(c, done);
  }
  std::vector<uint64_t> failed;
  failed.swap(failed_);
  for (uint64_t i : failed) done(i, -1);
}

nlohmann::json HttpTransport::Stats() const {
  return {{"connections_opened", conns_.size()},
          {"max_connections", max_connections_},
          {"connect_failures", connect_failures_},
          {"most_busy_connections", max_busy_},
          {"queued_for_a_connection", queued_},
          {"longest_queue", max_queue_},
          {"reconnects", reconnects_}};
}

}  // namespace kaizen::bench
