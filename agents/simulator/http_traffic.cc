#include "agents/simulator/http_traffic.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>
#include <string_view>

#include "agents/models/llm/retry_policy.h"

namespace kaizen::agents {

// Deleters for curl handles; named (not in the anonymous namespace) because
// HttpTraffic::Transfer, which has external linkage, holds them.
struct HttpTrafficEasyCloser {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct HttpTrafficSlistCloser {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

namespace {

void HttpTrafficCurlInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Transport errors worth another try: the server is not there (yet), went
// away mid-request, or took too long. Others (a malformed URL, an oversized
// reply, a certificate problem) fail the same way every time.
bool HttpTrafficRetryableCurl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

double HttpTrafficMs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

nlohmann::json HttpStats::ToJson() const {
  return {{"requests", requests},
          {"connections", connections},
          {"retries", retries},
          {"errors", errors},
          {"given_up", given_up},
          {"by_path", by_path}};
}

// A request between Submit and its hand-back.
struct HttpTraffic::Pending {
  uint64_t id = 0;
  HttpRequest request;
  Clock::time_point submitted;
  int attempts = 0;
  int backoffs = 0;  // retries after a backoff so far (the next one waits longer)
};

// One attempt on the wire; owns its easy handle and header list, and takes
// the handle out of the multi handle when it goes.
struct HttpTraffic::Transfer {
  std::unique_ptr<Pending> pending;
  CURLM* multi = nullptr;
  std::unique_ptr<CURL, HttpTrafficEasyCloser> easy;
  std::unique_ptr<curl_slist, HttpTrafficSlistCloser> headers;
  std::string url;
  std::string body;
  std::map<std::string, std::string> response_headers;  // names in lower case
  size_t max_body = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {0};
  Clock::time_point started;

  ~Transfer() {
    if (multi && easy) curl_multi_remove_handle(multi, easy.get());
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->body.size() + size * n > t->max_body) {
      t->too_large = true;
      return 0;  // fails the transfer with CURLE_WRITE_ERROR
    }
    t->body.append(data, size * n);
    return size * n;
  }

  // Each header line of each response; a status line starts a new response
  // (after a "100 Continue", the final one's headers are the ones kept).
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
      t->response_headers.clear();
      return size * n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return size * n;
    std::string name(line.substr(0, colon));
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string_view v = line.substr(colon + 1);
    const auto b = v.find_first_not_of(" \t");
    const auto e = v.find_last_not_of(" \t\r\n");
    t->response_headers[name] = b == std::string_view::npos ? "" : std::string(v.substr(b, e - b + 1));
    return size * n;
  }
};

struct HttpTraffic::Backoff {
  models::llm::RetryPolicy policy;
};

void HttpTraffic::MultiCloser::operator()(void* multi) const { curl_multi_cleanup(static_cast<CURLM*>(multi)); }

HttpTraffic::HttpTraffic(HttpTrafficOptions options) : options_(std::move(options)) {
  HttpTrafficCurlInitOnce();
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  options_.max_connections = std::max<size_t>(1, options_.max_connections);
  multi_.reset(curl_multi_init());
  if (multi_) {
    const long n = static_cast<long>(options_.max_connections);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, n);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, n);  // idle connections kept for reuse
  }
  backoff_ = std::make_unique<Backoff>(Backoff{models::llm::RetryPolicy(
      std::chrono::milliseconds(options_.backoff_initial_ms), std::chrono::milliseconds(options_.backoff_max_ms),
      std::chrono::milliseconds(options_.retry_after_max_ms), options_.jitter_seed)});
}

HttpTraffic::~HttpTraffic() {
  running_.clear();  // every easy handle leaves the multi handle before multi_ goes
}

uint64_t HttpTraffic::Submit(HttpRequest request) {
  auto p = std::make_unique<Pending>();
  p->id = next_id_++;
  p->request = std::move(request);
  p->submitted = Clock::now();
  queue_.push_back(std::move(p));
  return queue_.back()->id;
}

size_t HttpTraffic::outstanding() const {
  return queue_.size() + retry_at_.size() + running_.size() + failed_to_start_.size();
}

std::string HttpTraffic::TransportErrorName(int transport_code) {
  return curl_easy_strerror(static_cast<CURLcode>(transport_code));
}

std::optional<std::chrono::milliseconds> HttpTraffic::RetryDelay(long status, bool transport_retryable,
                                                                const std::string& retry_after,
                                                                std::chrono::milliseconds backoff,
                                                                const HttpTrafficOptions& options,
                                                                std::string* reason) {
  using std::chrono::milliseconds;
  if (status == 429 || status == 503) {
    *reason = std::to_string(status);
    auto wait = models::llm::ParseRetryAfter(retry_after, std::time(nullptr));
    milliseconds w = wait ? *wait : milliseconds(options.retry_after_default_ms);
    return std::min(w, milliseconds(options.retry_after_max_ms));
  }
  if (status == 504 || (status == 0 && transport_retryable)) {
    *reason = status == 504 ? "504" : "transport";
    return backoff;
  }
  return std::nullopt;
}

bool HttpTraffic::Start(std::unique_ptr<Pending> p) {
  auto t = std::make_unique<Transfer>();
  t->easy.reset(curl_easy_init());
  if (!multi_ || !t->easy) {
    HttpCompletion c;
    c.id = p->id;
    c.attempts = p->attempts;
    c.error = "curl could not make a handle";
    c.transport_code = CURLE_FAILED_INIT;
    failed_to_start_.push_back(std::move(c));
    return false;
  }
  CURL* h = t->easy.get();
  const HttpRequest& r = p->request;
  curl_slist* headers = nullptr;
  auto add = [&headers](const std::string& line) {
    if (curl_slist* l = curl_slist_append(headers, line.c_str())) headers = l;
  };
  add("Expect:");  // no 100-continue round trip for larger bodies
  if (r.method == "POST") add("Content-Type: application/json");
  if (!r.idempotency_key.empty()) add("Idempotency-Key: " + r.idempotency_key);
  if (!options_.api_key.empty()) add("Authorization: Bearer " + options_.api_key);
  t->headers.reset(headers);
  t->url = options_.base_url + r.path;
  t->max_body = options_.max_body_bytes;
  curl_easy_setopt(h, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers.get());
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  if (r.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.c_str());  // r outlives the transfer (t->pending)
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  t->pending = std::move(p);
  t->started = Clock::now();
  if (curl_multi_add_handle(multi_.get(), h) != CURLM_OK) {
    HttpCompletion c;
    c.id = t->pending->id;
    c.attempts = t->pending->attempts;
    c.error = "curl could not start the request";
    c.transport_code = CURLE_FAILED_INIT;
    failed_to_start_.push_back(std::move(c));
    return false;
  }
  t->multi = multi_.get();
  ++t->pending->attempts;
  running_.emplace(h, std::move(t));
  return true;
}

void HttpTraffic::StartSome() {
  const auto now = Clock::now();
  // Retries first: they have waited longest.
  while (running_.size() < options_.max_connections && !retry_at_.empty() && retry_at_.begin()->first <= now) {
    auto node = retry_at_.extract(retry_at_.begin());
    Start(std::move(node.mapped()));
  }
  while (running_.size() < options_.max_connections && !queue_.empty()) {
    auto p = std::move(queue_.front());
    queue_.pop_front();
    Start(std::move(p));
  }
}

void HttpTraffic::Perform() {
  if (!multi_ || running_.empty()) return;
  int still = 0;
  curl_multi_perform(multi_.get(), &still);
}

void HttpTraffic::Collect(std::vector<HttpCompletion>* done) {
  if (!multi_) return;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    auto it = running_.find(msg->easy_handle);
    if (it == running_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    running_.erase(it);
    const CURLcode code = msg->data.result;
    const auto now = Clock::now();
    long status = 0;
    long connects = 0;
    if (code == CURLE_OK) curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy.get(), CURLINFO_NUM_CONNECTS, &connects);
    std::unique_ptr<Pending> p = std::move(t->pending);
    const HttpRequest& r = p->request;
    // A 2xx the request's check says is cut short: retried like a dropped connection.
    const bool incomplete = code == CURLE_OK && status >= 200 && status < 300 && r.complete && !r.complete(t->body);
    if (r.in_stats) {
      ++stats_.requests;
      ++stats_.by_path[r.path];
      stats_.connections += static_cast<uint64_t>(std::max(0L, connects));
      if (status < 200 || status >= 300) ++stats_.errors[status == 0 ? "transport" : std::to_string(status)];
      if (incomplete) ++stats_.errors["incomplete"];
    }
    std::string error;
    if (code != CURLE_OK) {
      error = t->too_large ? "the response is larger than " + std::to_string(t->max_body) + " bytes"
                           : (t->error[0] ? std::string(t->error) : std::string(curl_easy_strerror(code)));
    }
    const auto header = [&t](const char* name) {
      auto h = t->response_headers.find(name);
      return h == t->response_headers.end() ? std::string() : h->second;
    };
    const std::string retry_after = header("retry-after");
    std::string reason;
    std::optional<std::chrono::milliseconds> delay;
    if (r.retry && incomplete) {
      reason = "incomplete";
      delay = backoff_->policy.Backoff(p->backoffs);
    } else if (r.retry && !t->too_large) {
      delay = RetryDelay(status, HttpTrafficRetryableCurl(code), retry_after, backoff_->policy.Backoff(p->backoffs),
                         options_, &reason);
    }
    if (delay && now + *delay <= p->submitted + std::chrono::milliseconds(options_.retry_for_ms)) {
      if (reason == "504" || reason == "transport" || reason == "incomplete") ++p->backoffs;
      if (r.in_stats) ++stats_.retries[reason];
      retry_at_.emplace(now + *delay, std::move(p));
      continue;
    }
    if (delay && r.in_stats) ++stats_.given_up;
    HttpCompletion c;
    c.id = p->id;
    c.status = status;
    c.body = std::move(t->body);
    c.error = std::move(error);
    c.transport_code = static_cast<int>(code);
    c.retry_after = retry_after;
    c.headers = std::move(t->response_headers);
    c.incomplete = incomplete;
    c.attempts = p->attempts;
    c.latency_ms = HttpTrafficMs(now - t->started);
    c.total_ms = HttpTrafficMs(now - p->submitted);
    done->push_back(std::move(c));
  }
}

std::vector<HttpCompletion> HttpTraffic::Poll() {
  std::vector<HttpCompletion> done;
  StartSome();
  Perform();
  Collect(&done);
  if (!queue_.empty() || !retry_at_.empty()) {  // connections freed: start the next ones now, not next Poll
    const size_t before = running_.size();
    StartSome();
    if (running_.size() > before) Perform();
  }
  if (!failed_to_start_.empty()) {
    for (auto& c : failed_to_start_) done.push_back(std::move(c));
    failed_to_start_.clear();
  }
  return done;
}

}  // namespace kaizen::agents
