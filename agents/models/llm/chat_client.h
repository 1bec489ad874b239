// ChatClient: an OpenAI-compatible chat-completions client on libcurl, usable
// against vLLM, llama.cpp's server, Ollama or a hosted API.
//
// Contract:
//  - POST {base_url}/chat/completions with {"model", "messages", "temperature",
//    "max_tokens"} (and "response_format": {"type":"json_object"} when asked,
//    "tools" when the call offers any).
//    base_url is the API root including "/v1", e.g. "http://127.0.0.1:8000/v1".
//  - The API key is read ONCE, at Create(), from the environment variable NAMED
//    by `api_key_env` and sent as "Authorization: Bearer ...". It is held only in
//    memory: never logged, never put in a Status message, never in Usage or
//    ChatReply. An empty `api_key_env` sends no Authorization header (local
//    servers); a named variable that is unset is a FailedPrecondition.
//  - Retries: on HTTP 429, 5xx (500, 502, 503, 504, ...), connection errors
//    (refused, reset, cut mid-response), per-call timeouts and replies that are
//    not valid chat-completion JSON, up to `max_retries` retries (attempts =
//    1 + retries). Waits are exponential backoff with full jitter:
//    uniform(0, min(backoff_max, backoff_initial * 2^retry)); a Retry-After
//    header (delta seconds or an HTTP date) replaces that wait, capped at
//    `retry_after_max`. Other 4xx (400, 401, 403, 404, ...) fail at once.
//  - Limits: at most `max_concurrency` requests in flight across all threads
//    (a semaphore; a caller over the limit waits), and a token bucket of
//    `rate_limit_per_s` requests per second (burst max(1, rate)); 0 = no rate
//    limit. Every attempt, retries included, takes a token.
//  - Cost per call: prompt_tokens/1000 * price_per_1k_prompt_tokens +
//    completion_tokens/1000 * price_per_1k_completion_tokens +
//    cost_per_call, counted from the server's "usage" object (0 tokens when the
//    server sends none).
//  - Accounting: cumulative Usage over the client's life, in total and per tag.
//    A tag is any string the caller passes with a call; the agents tag calls
//    "<stage>" or "<stage>:<cycle_id>" (e.g. "datagen:c-12", "serve") so one
//    client gives per-stage and per-cycle figures. Readable at any time from any
//    thread.
//  - Complete() is thread-safe; ChatClient is neither copyable nor movable
//    (hold it by unique_ptr / shared_ptr).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::models::llm {

// A function call the model asked for (OpenAI's tool_calls): `arguments` is
// the JSON text as the model wrote it, which may not parse.
struct ToolCallRequest {
  std::string id;
  std::string name;
  std::string arguments;
};

struct ChatMessage {
  std::string role;     // "system", "user", "assistant" or "tool"
  std::string content;
  std::vector<ToolCallRequest> tool_calls = {};  // assistant: the calls it asked for
  std::string tool_call_id = {};                 // tool: the call this message answers
};

struct ChatClientConfig {
  std::string base_url;              // API root with /v1, no trailing "/chat/completions"
  std::string model;                 // the "model" field sent
  std::string api_key_env;           // NAME of the env var holding the key; "" = no key
  std::string system_prompt;         // prepended as a system message when the messages have none
  double temperature = 0.0;
  int max_tokens = 256;
  bool json_response = false;        // ask for response_format json_object
  std::chrono::milliseconds timeout{30000};          // whole request, per attempt
  std::chrono::milliseconds connect_timeout{5000};
  int max_retries = 3;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{10000};
  std::chrono::milliseconds retry_after_max{60000};  // a longer Retry-After is cut to this
  int max_concurrency = 4;
  double rate_limit_per_s = 0;       // requests per second; 0 = unlimited
  double price_per_1k_prompt_tokens = 0;
  double price_per_1k_completion_tokens = 0;
  double cost_per_call = 0;          // a flat price per successful call, added to the token price
  uint64_t jitter_seed = 0;          // 0 = seeded from the clock
};

// The manifest's `openai` block (config/manifest_schema.cc, OpenAiSchema) as a
// config. Keys: base_url, model, api_key_env, temperature, max_tokens,
// json_response, timeout_ms, connect_timeout_ms, max_retries, backoff_initial_ms,
// backoff_max_ms, retry_after_max_ms, max_concurrency, rate_limit_per_s,
// price_per_1k_prompt_tokens, price_per_1k_completion_tokens. Missing keys keep
// the defaults above; InvalidArgument names `where` and the bad key.
Result<ChatClientConfig> ChatConfigFromJson(const nlohmann::json& block, const std::string& where);

struct ChatReply {
  std::string text;                  // choices[0].message.content ("" when null)
  std::vector<ToolCallRequest> tool_calls;  // choices[0].message.tool_calls
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost = 0;                   // of this call
  int attempts = 0;                  // 1 + retries
  std::chrono::milliseconds latency{0};  // first attempt start to reply, waits included
};

struct Usage {
  int64_t calls = 0;                 // Complete() calls that returned a reply
  int64_t failures = 0;              // Complete() calls that returned an error
  int64_t attempts = 0;              // HTTP requests sent
  int64_t retries = 0;               // attempts beyond the first
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost = 0;
  double latency_s = 0;              // summed over calls and failures

  Usage& operator+=(const Usage& o);
  nlohmann::json ToJson() const;     // the fields above by name
};

class ChatClient {
 public:
  // Reads the API key from the environment; validates base_url and model.
  static Result<std::unique_ptr<ChatClient>> Create(ChatClientConfig config);
  ~ChatClient();
  ChatClient(const ChatClient&) = delete;
  ChatClient& operator=(const ChatClient&) = delete;

  // One chat completion, retried as above. Errors: Unavailable (connection,
  // retries exhausted on 429/5xx), Timeout (the last attempt timed out),
  // InvalidArgument (other 4xx: the message quotes the server's error message,
  // never the key), Corruption (the reply was not chat-completion JSON after
  // every retry). `tag` attributes the call's usage (see above). `model`, when
  // not empty, replaces config().model for this call (a PromptModel's base_model).
  // `tools`, when a non-empty array, is sent as the request's "tools" (entries
  // {"type": "function", "function": {name, description, parameters}}); the
  // model may then answer with tool_calls instead of content.
  // No error message ever contains the API key (it is masked if a server echoes it).
  Result<ChatReply> Complete(const std::vector<ChatMessage>& messages, const std::string& tag = "",
                             const std::string& model = "", const nlohmann::json& tools = nullptr);

  Usage TotalUsage() const;
  Usage UsageFor(const std::string& tag) const;       // zero when never used
  std::map<std::string, Usage> UsageByTag() const;

  const ChatClientConfig& config() const { return config_; }
  bool has_api_key() const { return !api_key_.empty(); }

 private:
  class Limits;  // semaphore + token bucket
  ChatClient(ChatClientConfig config, std::string api_key);
  void Record(const std::string& tag, const Usage& u);

  const ChatClientConfig config_;
  const std::string api_key_;  // never logged
  std::unique_ptr<Limits> limits_;
  mutable std::mutex usage_mu_;
  Usage total_;
  std::map<std::string, Usage> by_tag_;
};

}  // namespace kaizen::models::llm
