#include "agents/training/tool_creation.h"

#include <algorithm>

#include "agents/tools/tool_runner.h"
#include "agents/tools/tool_spec.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

// One line of a failure: its input in quotes (newlines folded), its answer.
std::string FailureLine(const models::Example& e) {
  std::string text = e.text;
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '"', '\'');
  return "- \"" + text + "\" -> " + e.label + "\n";
}

// The failures shown to the teacher: the first max_failures_shown.
std::size_t ShownFailures(const ToolCreationJob& job) {
  return std::min<std::size_t>(job.failures.size(), static_cast<std::size_t>(std::max(0, job.max_failures_shown)));
}

}  // namespace

std::string ToolWriterRequest(const ToolCreationJob& job) {
  std::string out;
  if (!job.category.empty()) out += "Category: " + job.category + "\n";
  out += "Failures:\n";
  for (std::size_t i = 0; i < ShownFailures(job); ++i) out += FailureLine(job.failures[i]);
  return out;
}

Result<CreatedTool> CreateTool(models::llm::ChatClient& teacher, const ToolCreationJob& job, const std::string& tag) {
  if (job.failures.empty()) return Status::InvalidArgument("no failures to write a tool for");
  auto reply = teacher.Complete({{"system", kToolWriterSystemPrompt}, {"user", ToolWriterRequest(job)}}, tag);
  if (!reply.ok()) return reply.status().WithContext("asking the teacher for a tool");
  auto spec = tools::ParseToolReply(reply->text);
  if (!spec.ok()) return spec.status().WithContext("the teacher's tool");
  auto report = tools::RunToolTests(*spec, job.limits);
  if (!report.ok()) return report.status().WithContext("testing the tool " + spec->name);
  json provenance = job.provenance.is_object() ? job.provenance : json::object();
  provenance["category"] = job.category;
  json failures = json::array();
  for (std::size_t i = 0; i < ShownFailures(job); ++i) {
    failures.push_back({{"input", job.failures[i].text}, {"answer", job.failures[i].label}});
  }
  provenance["failures"] = std::move(failures);
  CreatedTool created;
  created.artifact = tools::MakeToolArtifact(std::move(*spec), *report, std::move(provenance));
  auto written = tools::WriteToolArtifact(job.tools_dir, created.artifact);
  if (!written.ok()) return written.status();
  created.written = std::move(*written);
  return created;
}

}  // namespace kaizen::agents
