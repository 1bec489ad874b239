// The JSON shapes of the gateway's API: OpenAI's chat completions (request,
// response, streaming chunks, errors, model list) and Kaizen's own /v1/tasks
// and /v1/feedback. Pure functions, no I/O: the HTTP layer (http_api.h) calls
// them, the tests check them field by field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "task.pb.h"

namespace kaizen::gateway {

// A request body that could not be taken: the HTTP status (400) and the
// OpenAI error's message and `param` (the field at fault).
struct BadRequest {
  std::string message;
  std::string param;
};

// OpenAI's error body: {"error": {"message", "type", "param", "code"}}.
nlohmann::json ErrorBody(const std::string& message, const std::string& type, const std::string& code,
                         const std::string& param = "");
// The OpenAI error `type` for an HTTP status (invalid_request_error, authentication_error, ...).
std::string ErrorType(int status);

// What a request asks the worker: one task input, its user and tags.
struct TaskRequest {
  std::string input;
  std::string user;                          // "" when the body names none
  std::map<std::string, std::string> tags;
  std::string model;                         // chat completions: the `model` field
  bool stream = false;                       // chat completions: `stream`
  bool include_usage = false;                // chat completions: stream_options.include_usage
};

// POST /v1/chat/completions. The task input is the last user message's text
// (a string, or the text parts of a content array); `metadata` (strings)
// become tags. Other OpenAI fields (temperature, max_tokens, ...) are accepted
// and ignored: the worker's skill decides how it answers.
std::variant<TaskRequest, BadRequest> ParseChatRequest(const nlohmann::json& body);
// POST /v1/tasks: {"input": string, "user"?: string, "tags"?: {string: string}}.
std::variant<TaskRequest, BadRequest> ParseTaskRequest(const nlohmann::json& body);

// POST /v1/feedback: {"id", one of "thumbs": "up"|"down", "score": 0..1,
// "correction": string; "comment"?, "user"?}. Kind and score as
// task.proto's Feedback has them (a score counts as a thumbs up at >= 0.5).
std::variant<v1::Feedback, BadRequest> ParseFeedbackRequest(const nlohmann::json& body);
// The idempotency key of a feedback without an Idempotency-Key header: the
// same rating of the same task by the same user is the same feedback.
std::string DerivedFeedbackKey(const v1::Feedback& feedback, const std::string& user);

// The chat completion for an answered task.
nlohmann::json ChatCompletion(const v1::TaskResult& result, const std::string& model, int64_t created_s);
// The same as server-sent events: a role chunk, the content chunk, the finish
// chunk, a usage chunk when asked, then "data: [DONE]". Each event is
// "data: <json>\n\n".
std::vector<std::string> ChatCompletionEvents(const v1::TaskResult& result, const std::string& model,
                                              int64_t created_s, bool include_usage);
// POST /v1/tasks' answer: id, output, model_version, arm, confidence, and
// deferred (the teacher's name) when the teacher answered (spec.worker.defer).
nlohmann::json TaskAnswer(const v1::TaskResult& result);

}  // namespace kaizen::gateway
