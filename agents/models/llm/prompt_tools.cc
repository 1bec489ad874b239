#include "agents/models/llm/prompt_tools.h"

#include "agents/tools/tool_artifact.h"
#include "agents/tools/tool_runner.h"

namespace kaizen::models::llm {
namespace {

using json = nlohmann::json;

// Runs one call the model asked for; what goes back to the model is the
// result's JSON text or "error: ...".
std::string RunRequestedCall(const PromptAssets& tools, const ToolCallRequest& call, ToolCallTrace* t) {
  t->name = call.name;
  t->arguments = call.arguments;
  const tools::ToolSpec* spec = nullptr;
  for (const auto& s : tools.specs) {
    if (s.name == call.name) spec = &s;
  }
  if (spec == nullptr) {
    t->error = "no tool named " + call.name;
  } else {
    json args = json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
    if (args.is_discarded()) {
      t->error = "the arguments are not JSON";
    } else {
      auto run = tools::CallTool(*spec, args, tools.limits);
      if (!run.ok()) {
        t->error = "the sandbox could not run: " + run.status().message();
      } else {
        t->seconds = run->wall_seconds;
        t->ok = run->ok;
        if (run->ok) {
          t->result = run->value.dump();
        } else {
          t->error = run->reason;
        }
      }
    }
  }
  return t->ok ? t->result : "error: " + t->error;
}

}  // namespace

Result<PromptAssets> LoadPromptAssets(const PromptModel& model, const tools::SandboxLimits& limits) {
  PromptAssets out;
  out.limits = limits;
  for (const ToolRef& ref : model.tools) {
    auto spec = tools::LoadAcceptedTool(ref.name, ref.uri, ref.sha256);
    if (!spec.ok()) return spec.status();
    out.chat_tools.push_back(spec->ChatTool());
    out.specs.push_back(std::move(*spec));
  }
  auto retrieval = PromptRetrieval::Load(model);
  if (!retrieval.ok()) return retrieval.status();
  out.retrieval = std::move(*retrieval);
  if (out.has_tools()) {
    if (Status s = tools::SandboxAvailable(); !s.ok()) {
      return s.WithContext("this model offers tools, which run only in the sandbox");
    }
  }
  return out;
}

Result<ChatReply> CompleteWithTools(ChatClient& client, const PromptModel& model, const PromptAssets& tools,
                                    const std::string& input, const std::string& tag,
                                    std::vector<ToolCallTrace>* trace) {
  std::vector<ChatMessage> messages = BuildMessages(model, input, tools.retrieval.For(input));
  ChatReply total;
  const int rounds = tools.has_tools() ? model.max_tool_rounds : 1;
  for (int round = 1; round <= rounds; ++round) {
    const bool offer = tools.has_tools() && round < rounds;
    auto r = client.Complete(messages, tag, model.base_model, offer ? tools.chat_tools : json(nullptr));
    if (!r.ok()) return r.status();
    total.prompt_tokens += r->prompt_tokens;
    total.completion_tokens += r->completion_tokens;
    total.cost += r->cost;
    total.attempts += r->attempts;
    total.latency += r->latency;
    if (r->tool_calls.empty() || !offer) {
      total.text = r->text;
      total.finish_reason = r->finish_reason;
      return total;
    }
    ChatMessage asked{"assistant", r->text};
    asked.tool_calls = r->tool_calls;
    messages.push_back(std::move(asked));
    for (const ToolCallRequest& call : r->tool_calls) {
      ToolCallTrace t;
      ChatMessage answer{"tool", RunRequestedCall(tools, call, &t)};
      answer.tool_call_id = call.id;
      messages.push_back(std::move(answer));
      if (trace) trace->push_back(std::move(t));
    }
  }
  return Status::Internal("the tool rounds ended without a reply");  // not reached: the last round offers no tools
}

Result<std::string> AnswerWithTools(ChatClient& client, const PromptModel& model, const PromptAssets& tools,
                                    const std::string& input, const std::string& tag, ChatReply* reply,
                                    std::vector<ToolCallTrace>* trace) {
  auto r = CompleteWithTools(client, model, tools, input, tag, trace);
  if (!r.ok()) return r.status();
  if (reply) *reply = *r;
  return model.task == TaskKind::kLabel ? ParseLabel(r->text, model.labels) : ParseText(r->text);
}

}  // namespace kaizen::models::llm
