#include "agents/models/llm/chat_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "agents/models/llm/request_limits.h"
#include "agents/models/llm/retry_policy.h"
#include "runtime/base/text.h"

namespace kaizen::models::llm {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct HttpResponse {
  CURLcode curl = CURLE_OK;
  long status = 0;
  std::string body;
  std::string retry_after;  // header value, if any
  std::string curl_error;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  r->body.append(data, size * n);
  if (r->body.size() > (16u << 20)) return 0;  // a reply this large is not a chat completion
  return size * n;
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string line(data, size * n);
  static const std::string kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string head = line.substr(0, kName.size());
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == kName) {
      std::string v = line.substr(kName.size());
      auto b = v.find_first_not_of(" \t");
      auto e = v.find_last_not_of(" \t\r\n");
      r->retry_after = b == std::string::npos ? "" : v.substr(b, e - b + 1);
    }
  }
  return size * n;
}

struct CurlHandle {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  ~CurlHandle() {
    if (headers) curl_slist_free_all(headers);
    if (h) curl_easy_cleanup(h);
  }
};

// A message as the API takes it: an assistant's tool calls and a tool
// message's call id only where they are set (content null beside calls).
json MessageJson(const ChatMessage& m) {
  json out = {{"role", m.role}, {"content", m.content}};
  if (!m.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& c : m.tool_calls) {
      calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    }
    out["tool_calls"] = std::move(calls);
    if (m.content.empty()) out["content"] = nullptr;
  }
  if (!m.tool_call_id.empty()) out["tool_call_id"] = m.tool_call_id;
  return out;
}

// choices[0].message's tool calls; a malformed call throws, as a reply that
// is not chat-completion JSON.
std::vector<ToolCallRequest> ToolCallsOf(const json& message) {
  std::vector<ToolCallRequest> calls;
  if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
    for (const auto& c : message["tool_calls"]) {
      const json& f = c.at("function");
      const json args = f.value("arguments", json(""));
      calls.push_back(
          {c.value("id", ""), f.at("name").get<std::string>(), args.is_string() ? args.get<std::string>() : args.dump()});
    }
  }
  return calls;
}

}  // namespace

class ChatClient::Limits : public RequestLimits {
 public:
  using RequestLimits::RequestLimits;
};

Usage& Usage::operator+=(const Usage& o) {
  calls += o.calls;
  failures += o.failures;
  attempts += o.attempts;
  retries += o.retries;
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  cost += o.cost;
  latency_s += o.latency_s;
  return *this;
}

json Usage::ToJson() const {
  return {{"calls", calls},
          {"failures", failures},
          {"attempts", attempts},
          {"retries", retries},
          {"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"cost", cost},
          {"latency_s", latency_s}};
}

Result<ChatClientConfig> ChatConfigFromJson(const json& b, const std::string& where) {
  ChatClientConfig c;
  if (!b.is_object()) return Status::InvalidArgument(where + ": expected an object with base_url and model");
  try {
    c.base_url = b.value("base_url", "");
    c.model = b.value("model", "");
    c.api_key_env = b.value("api_key_env", "");
    c.temperature = b.value("temperature", c.temperature);
    c.max_tokens = b.value("max_tokens", c.max_tokens);
    c.json_response = b.value("json_response", c.json_response);
    auto ms = [&](const char* key, std::chrono::milliseconds def) {
      return std::chrono::milliseconds(b.value(key, static_cast<int64_t>(def.count())));
    };
    c.timeout = ms("timeout_ms", c.timeout);
    c.connect_timeout = ms("connect_timeout_ms", c.connect_timeout);
    c.max_retries = b.value("max_retries", c.max_retries);
    c.backoff_initial = ms("backoff_initial_ms", c.backoff_initial);
    c.backoff_max = ms("backoff_max_ms", c.backoff_max);
    c.retry_after_max = ms("retry_after_max_ms", c.retry_after_max);
    c.max_concurrency = b.value("max_concurrency", c.max_concurrency);
    c.rate_limit_per_s = b.value("rate_limit_per_s", c.rate_limit_per_s);
    c.price_per_1k_prompt_tokens = b.value("price_per_1k_prompt_tokens", c.price_per_1k_prompt_tokens);
    c.price_per_1k_completion_tokens = b.value("price_per_1k_completion_tokens", c.price_per_1k_completion_tokens);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(where + ": a key has the wrong type: " + e.what());
  }
  if (c.base_url.empty()) return Status::InvalidArgument(where + ".base_url is required (e.g. http://127.0.0.1:8000/v1)");
  if (c.model.empty()) return Status::InvalidArgument(where + ".model is required");
  return c;
}

ChatClient::ChatClient(ChatClientConfig config, std::string api_key)
    : config_(std::move(config)),
      api_key_(std::move(api_key)),
      limits_(std::make_unique<Limits>(config_.max_concurrency, config_.rate_limit_per_s)) {}

ChatClient::~ChatClient() = default;

Result<std::unique_ptr<ChatClient>> ChatClient::Create(ChatClientConfig config) {
  GlobalInitOnce();
  while (!config.base_url.empty() && config.base_url.back() == '/') config.base_url.pop_back();
  if (config.base_url.rfind("http://", 0) != 0 && config.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("base_url '" + config.base_url + "' must start with http:// or https://");
  }
  if (config.model.empty()) return Status::InvalidArgument("no model given for " + config.base_url);
  if (config.max_concurrency < 1) config.max_concurrency = 1;
  if (config.max_retries < 0) config.max_retries = 0;
  std::string key;
  if (!config.api_key_env.empty()) {
    const char* v = std::getenv(config.api_key_env.c_str());
    if (v == nullptr || *v == '\0') {
      return Status::FailedPrecondition("the API key environment variable " + config.api_key_env +
                                        " is not set (the manifest names it in api_key_env)");
    }
    key = v;
  }
  return std::unique_ptr<ChatClient>(new ChatClient(std::move(config), std::move(key)));
}

void ChatClient::Record(const std::string& tag, const Usage& u) {
  std::lock_guard<std::mutex> lock(usage_mu_);
  total_ += u;
  if (!tag.empty()) by_tag_[tag] += u;
}

Usage ChatClient::TotalUsage() const {
  std::lock_guard<std::mutex> lock(usage_mu_);
  return total_;
}

Usage ChatClient::UsageFor(const std::string& tag) const {
  std::lock_guard<std::mutex> lock(usage_mu_);
  auto it = by_tag_.find(tag);
  return it == by_tag_.end() ? Usage{} : it->second;
}

std::map<std::string, Usage> ChatClient::UsageByTag() const {
  std::lock_guard<std::mutex> lock(usage_mu_);
  return by_tag_;
}

Result<ChatReply> ChatClient::Complete(const std::vector<ChatMessage>& messages, const std::string& tag,
                                       const std::string& model, const json& tools) {
  const auto start = Clock::now();
  json body;
  body["model"] = model.empty() ? config_.model : model;
  json msgs = json::array();
  bool has_system = std::any_of(messages.begin(), messages.end(), [](const ChatMessage& m) { return m.role == "system"; });
  if (!has_system && !config_.system_prompt.empty()) msgs.push_back({{"role", "system"}, {"content", config_.system_prompt}});
  for (const auto& m : messages) msgs.push_back(MessageJson(m));
  body["messages"] = std::move(msgs);
  if (tools.is_array() && !tools.empty()) body["tools"] = tools;
  body["temperature"] = config_.temperature;
  body["max_tokens"] = config_.max_tokens;
  if (config_.json_response) body["response_format"] = {{"type", "json_object"}};
  const std::string payload = body.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string url = config_.base_url + "/chat/completions";

  // Masks the key wherever a server might have echoed it.
  auto mask = [this](std::string s) {
    if (api_key_.empty()) return s;
    for (auto p = s.find(api_key_); p != std::string::npos; p = s.find(api_key_, p)) s.replace(p, api_key_.size(), "***");
    return s;
  };

  RetryPolicy policy(config_.backoff_initial, config_.backoff_max, config_.retry_after_max, config_.jitter_seed);
  Usage usage;
  Status last;
  for (int attempt = 0; attempt <= config_.max_retries; ++attempt) {
    HttpResponse r;
    {
      auto slot = limits_->Acquire();  // held for the request only, not for backoff sleeps
      ++usage.attempts;
      CurlHandle c;
      if (c.h == nullptr) return Status::Internal("curl_easy_init failed");
      c.headers = curl_slist_append(c.headers, "Content-Type: application/json");
      c.headers = curl_slist_append(c.headers, "Expect:");
      if (!api_key_.empty()) c.headers = curl_slist_append(c.headers, ("Authorization: Bearer " + api_key_).c_str());
      char errbuf[CURL_ERROR_SIZE] = {0};
      curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
      curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, payload.c_str());
      curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
      curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, WriteBody);
      curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &r);
      curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, ReadHeader);
      curl_easy_setopt(c.h, CURLOPT_HEADERDATA, &r);
      curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
      curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
      curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c.h, CURLOPT_ERRORBUFFER, errbuf);
      r.curl = curl_easy_perform(c.h);
      curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &r.status);
      r.curl_error = errbuf[0] ? errbuf : curl_easy_strerror(r.curl);
    }
    std::optional<std::chrono::milliseconds> retry_after;
    bool retryable = true;
    if (r.curl != CURLE_OK) {
      last = r.curl == CURLE_OPERATION_TIMEDOUT
                 ? Status::Timeout(url + ": no reply within " + std::to_string(config_.timeout.count()) + " ms")
                 : Status::Unavailable(url + ": " + mask(r.curl_error));
    } else if (r.status == 429 || r.status >= 500) {
      retry_after = ParseRetryAfter(r.retry_after, std::time(nullptr));
      last = Status::Unavailable(url + ": HTTP " + std::to_string(r.status) + ": " + mask(Abbreviate(r.body, 300)));
    } else if (r.status < 200 || r.status >= 300) {
      std::string msg = r.body;
      try {
        auto j = json::parse(r.body);
        if (j.contains("error") && j["error"].is_object()) msg = j["error"].value("message", r.body);
      } catch (const json::exception&) {
      }
      last = Status::InvalidArgument(url + ": HTTP " + std::to_string(r.status) + ": " + mask(Abbreviate(msg, 300)));
      retryable = false;
    } else {
      try {
        auto j = json::parse(r.body);
        const auto& choice = j.at("choices").at(0);
        ChatReply reply;
        const auto& message = choice.at("message");
        reply.tool_calls = ToolCallsOf(message);
        // Content may be absent only beside tool calls (at() throws otherwise).
        const json content = reply.tool_calls.empty() ? message.at("content") : message.value("content", json());
        reply.text = content.is_string() ? content.get<std::string>() : "";
        reply.finish_reason = choice.value("finish_reason", "");
        if (j.contains("usage") && j["usage"].is_object()) {
          reply.prompt_tokens = j["usage"].value("prompt_tokens", int64_t{0});
          reply.completion_tokens = j["usage"].value("completion_tokens", int64_t{0});
        }
        reply.cost = reply.prompt_tokens / 1000.0 * config_.price_per_1k_prompt_tokens +
                     reply.completion_tokens / 1000.0 * config_.price_per_1k_completion_tokens + config_.cost_per_call;
        reply.attempts = attempt + 1;
        reply.latency = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        usage.calls = 1;
        usage.retries = attempt;
        usage.prompt_tokens = reply.prompt_tokens;
        usage.completion_tokens = reply.completion_tokens;
        usage.cost = reply.cost;
        usage.latency_s = std::chrono::duration<double>(reply.latency).count();
        Record(tag, usage);
        return reply;
      } catch (const json::exception&) {
        last = Status::Corruption(url + ": the reply is not a chat completion: " + mask(Abbreviate(r.body, 120)));
      }
    }
    if (!retryable || attempt == config_.max_retries) break;
    auto wait = retry_after ? policy.Cap(*retry_after) : policy.Backoff(attempt);
    spdlog::debug("llm {}: attempt {} failed ({}); retrying in {} ms", config_.model, attempt + 1, last.message(),
                  wait.count());
    std::this_thread::sleep_for(wait);
  }
  usage.failures = 1;
  usage.retries = usage.attempts - 1;
  usage.latency_s = std::chrono::duration<double>(Clock::now() - start).count();
  Record(tag, usage);
  return last.WithContext("chat completion (" + std::to_string(usage.attempts) + " attempt" +
                          (usage.attempts == 1 ? "" : "s") + ")");
}

}  // namespace kaizen::models::llm
