#include "agents/gateway/openai_shapes.h"

#include "runtime/base/sha256.h"

namespace kaizen::gateway {
namespace {

using json = nlohmann::json;

json Usage() { return {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}; }

// "user" and "tags"/"metadata": shared by both task shapes.
std::optional<BadRequest> ReadUserAndTags(const json& body, const char* tags_key, TaskRequest* out) {
  if (body.contains("user") && !body["user"].is_null()) {
    if (!body["user"].is_string()) return BadRequest{"'user' must be a string", "user"};
    out->user = body["user"].get<std::string>();
  }
  if (body.contains(tags_key) && !body[tags_key].is_null()) {
    const json& t = body[tags_key];
    if (!t.is_object()) return BadRequest{std::string("'") + tags_key + "' must be an object of strings", tags_key};
    for (auto it = t.begin(); it != t.end(); ++it) {
      if (!it.value().is_string())
        return BadRequest{std::string("'") + tags_key + "." + it.key() + "' must be a string",
                          std::string(tags_key) + "." + it.key()};
      out->tags[it.key()] = it.value().get<std::string>();
    }
  }
  return std::nullopt;
}

// The text of a message's content: a string, or the "text" parts of an array.
std::optional<std::string> ContentText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return std::nullopt;
  std::string text;
  bool any = false;
  for (const json& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
      continue;
    if (any) text += "\n";
    text += part["text"].get<std::string>();
    any = true;
  }
  if (!any) return std::nullopt;
  return text;
}

json Chunk(const v1::TaskResult& r, const std::string& model, int64_t created_s, json delta, json finish) {
  return {{"id", r.task_id()},
          {"object", "chat.completion.chunk"},
          {"created", created_s},
          {"model", model},
          {"system_fingerprint", r.model_version()},
          {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                   {"finish_reason", std::move(finish)}}})}};
}

}  // namespace

json ErrorBody(const std::string& message, const std::string& type, const std::string& code,
               const std::string& param) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

std::string ErrorType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
    case 410:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "service_unavailable_error";
    case 504:
      return "timeout_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::variant<TaskRequest, BadRequest> ParseChatRequest(const json& body) {
  if (!body.is_object()) return BadRequest{"the request body must be a JSON object", ""};
  TaskRequest req;
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
    return BadRequest{"missing required field 'model' (a string naming the cluster's model, see GET /v1/models)",
                      "model"};
  req.model = body["model"].get<std::string>();
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
    return BadRequest{"missing required field 'messages' (a non-empty array of {role, content})", "messages"};
  const json& messages = body["messages"];
  for (size_t i = messages.size(); i-- > 0;) {
    const json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return BadRequest{"'messages[" + std::to_string(i) + "]' must be an object with a string 'role'",
                        "messages[" + std::to_string(i) + "].role"};
    if (m["role"] != "user") continue;
    auto text = m.contains("content") ? ContentText(m["content"]) : std::nullopt;
    if (!text)
      return BadRequest{"'messages[" + std::to_string(i) + "].content' must be a string or an array of text parts",
                        "messages[" + std::to_string(i) + "].content"};
    req.input = *text;
    break;
  }
  if (req.input.empty()) return BadRequest{"'messages' has no user message with text: it is the task input", "messages"};
  if (body.contains("stream") && !body["stream"].is_null()) {
    if (!body["stream"].is_boolean()) return BadRequest{"'stream' must be a boolean", "stream"};
    req.stream = body["stream"].get<bool>();
  }
  if (body.contains("stream_options") && body["stream_options"].is_object())
    req.include_usage = body["stream_options"].value("include_usage", false);
  if (auto bad = ReadUserAndTags(body, "metadata", &req)) return *bad;
  return req;
}

std::variant<TaskRequest, BadRequest> ParseTaskRequest(const json& body) {
  if (!body.is_object()) return BadRequest{"the request body must be a JSON object", ""};
  TaskRequest req;
  if (!body.contains("input") || !body["input"].is_string() || body["input"].get<std::string>().empty())
    return BadRequest{"missing required field 'input' (a non-empty string: the task for the worker)", "input"};
  req.input = body["input"].get<std::string>();
  if (auto bad = ReadUserAndTags(body, "tags", &req)) return *bad;
  return req;
}

std::variant<v1::Feedback, BadRequest> ParseFeedbackRequest(const json& body) {
  if (!body.is_object()) return BadRequest{"the request body must be a JSON object", ""};
  v1::Feedback f;
  if (!body.contains("id") || !body["id"].is_string() || body["id"].get<std::string>().empty())
    return BadRequest{"missing required field 'id' (the task id an answer came with)", "id"};
  f.set_task_id(body["id"].get<std::string>());
  int given = 0;
  if (body.contains("thumbs") && !body["thumbs"].is_null()) {
    ++given;
    const json& t = body["thumbs"];
    if (t == "up") {
      f.set_kind(v1::Feedback::THUMBS_UP);
    } else if (t == "down") {
      f.set_kind(v1::Feedback::THUMBS_DOWN);
    } else {
      return BadRequest{"'thumbs' must be \"up\" or \"down\"", "thumbs"};
    }
  }
  if (body.contains("score") && !body["score"].is_null()) {
    ++given;
    const json& s = body["score"];
    if (!s.is_number() || s.get<double>() < 0 || s.get<double>() > 1)
      return BadRequest{"'score' must be a number from 0 to 1", "score"};
    f.set_score(s.get<double>());
    f.set_kind(s.get<double>() >= 0.5 ? v1::Feedback::THUMBS_UP : v1::Feedback::THUMBS_DOWN);
  }
  if (body.contains("correction") && !body["correction"].is_null()) {
    ++given;
    const json& c = body["correction"];
    if (!c.is_string() || c.get<std::string>().empty())
      return BadRequest{"'correction' must be a non-empty string: the right answer", "correction"};
    // A thumbs-down that carries the right answer, as kaizen feedback sends it.
    f.set_kind(v1::Feedback::THUMBS_DOWN);
    f.set_correction(c.get<std::string>());
  }
  if (given != 1)
    return BadRequest{"give exactly one of 'thumbs' (\"up\"|\"down\"), 'score' (0..1) or 'correction' (a string)",
                      given == 0 ? "thumbs" : "correction"};
  if (body.contains("comment") && !body["comment"].is_null()) {
    if (!body["comment"].is_string()) return BadRequest{"'comment' must be a string", "comment"};
    f.set_comment(body["comment"].get<std::string>());
  }
  if (body.contains("user") && !body["user"].is_null()) {
    if (!body["user"].is_string()) return BadRequest{"'user' must be a string", "user"};
    f.set_source(body["user"].get<std::string>());
  }
  return f;
}

std::string DerivedFeedbackKey(const v1::Feedback& f, const std::string& user) {
  std::string what = f.task_id() + '\n' + std::to_string(f.kind()) + '\n' +
                     (f.has_score() ? std::to_string(f.score()) : "") + '\n' + f.correction() + '\n' + f.comment() +
                     '\n' + user;
  return "fbk-" + Sha256Hex(what).substr(0, 32);
}

json ChatCompletion(const v1::TaskResult& r, const std::string& model, int64_t created_s) {
  return {{"id", r.task_id()},
          {"object", "chat.completion"},
          {"created", created_s},
          {"model", model},
          {"system_fingerprint", r.model_version()},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", r.output()}, {"refusal", nullptr}}},
                                    {"logprobs", nullptr},
                                    {"finish_reason", "stop"}}})},
          {"usage", Usage()}};
}

std::vector<std::string> ChatCompletionEvents(const v1::TaskResult& r, const std::string& model, int64_t created_s,
                                              bool include_usage) {
  std::vector<json> chunks;
  chunks.push_back(Chunk(r, model, created_s, {{"role", "assistant"}, {"content", ""}}, nullptr));
  chunks.push_back(Chunk(r, model, created_s, {{"content", r.output()}}, nullptr));
  chunks.push_back(Chunk(r, model, created_s, json::object(), "stop"));
  if (include_usage) {
    json usage = Chunk(r, model, created_s, json::object(), nullptr);
    usage["choices"] = json::array();
    usage["usage"] = Usage();
    chunks.push_back(std::move(usage));
  }
  std::vector<std::string> out;
  for (const json& c : chunks) out.push_back("data: " + c.dump() + "\n\n");
  out.push_back("data: [DONE]\n\n");
  return out;
}

json TaskAnswer(const v1::TaskResult& r) {
  json answer = {{"id", r.task_id()},
                 {"output", r.output()},
                 {"model_version", r.model_version()},
                 {"arm", r.arm()},
                 {"confidence", r.confidence()}};
  if (auto d = r.tags().find("deferred"); d != r.tags().end()) answer["deferred"] = d->second;
  return answer;
}

}  // namespace kaizen::gateway
