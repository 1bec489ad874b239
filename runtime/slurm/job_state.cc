// Slurm's job state names and `scontrol show job -o` lines, parsed.
#include <cctype>
#include <cstdlib>
#include <map>

#include "runtime/slurm/slurm_client.h"

namespace kaizen::slurm {
namespace {

// A token that starts a new field: Key=... where Key is letters, digits and
// the separators scontrol uses in its keys (AllocNode:Sid, CPUs/Task).
bool StartsField(const std::string& token) {
  const auto eq = token.find('=');
  if (eq == std::string::npos || eq == 0 || !std::isalpha(static_cast<unsigned char>(token[0]))) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = token[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':' && c != '/') return false;
  }
  return true;
}

// Key=value fields of one line. A value with spaces (JobState=CANCELLED by 0,
// a Comment or WorkDir with spaces) keeps the words up to the next Key=.
std::map<std::string, std::string> Fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::string* last = nullptr;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::size_t end = i;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
    const std::string token = line.substr(i, end - i);
    i = end;
    if (StartsField(token)) {
      const auto eq = token.find('=');
      last = &(fields[token.substr(0, eq)] = token.substr(eq + 1));
    } else if (last) {
      *last += " " + token;
    }
  }
  return fields;
}

int ToInt(const std::string& s) { return std::atoi(s.c_str()); }

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending: return "pending";
    case JobState::kRunning: return "running";
    case JobState::kSuspended: return "suspended";
    case JobState::kCompleting: return "completing";
    case JobState::kCompleted: return "completed";
    case JobState::kFailed: return "failed";
    case JobState::kTimeout: return "timeout";
    case JobState::kPreempted: return "preempted";
    case JobState::kCancelled: return "cancelled";
    case JobState::kNodeFail: return "node_fail";
    case JobState::kOutOfMemory: return "out_of_memory";
    case JobState::kBootFail: return "boot_fail";
    case JobState::kDeadline: return "deadline";
    case JobState::kRequeued: return "requeued";
    case JobState::kUnknown: return "unknown";
  }
  return "unknown";
}

JobState ParseJobState(const std::string& slurm_name) {
  // "CANCELLED by 0", "CANCELLED+": only the first word's letters count.
  std::string word;
  for (char c : slurm_name) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_') break;
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  static const std::map<std::string, JobState> names = {
      {"PENDING", JobState::kPending},       {"RUNNING", JobState::kRunning},
      {"SUSPENDED", JobState::kSuspended},   {"COMPLETING", JobState::kCompleting},
      {"COMPLETED", JobState::kCompleted},   {"FAILED", JobState::kFailed},
      {"TIMEOUT", JobState::kTimeout},       {"PREEMPTED", JobState::kPreempted},
      {"CANCELLED", JobState::kCancelled},   {"NODE_FAIL", JobState::kNodeFail},
      {"OUT_OF_MEMORY", JobState::kOutOfMemory}, {"BOOT_FAIL", JobState::kBootFail},
      {"DEADLINE", JobState::kDeadline},     {"REQUEUED", JobState::kRequeued},
      // Transient states a job passes through on its way to one of the above.
      {"CONFIGURING", JobState::kPending},   {"REQUEUE_HOLD", JobState::kRequeued},
      {"REQUEUE_FED", JobState::kRequeued},  {"RESIZING", JobState::kRunning},
      {"STAGE_OUT", JobState::kCompleting},  {"SIGNALING", JobState::kRunning},
  };
  // squeue's short codes (%t), for completeness.
  static const std::map<std::string, JobState> codes = {
      {"PD", JobState::kPending},   {"R", JobState::kRunning},    {"S", JobState::kSuspended},
      {"CG", JobState::kCompleting}, {"CD", JobState::kCompleted}, {"F", JobState::kFailed},
      {"TO", JobState::kTimeout},   {"PR", JobState::kPreempted}, {"CA", JobState::kCancelled},
      {"NF", JobState::kNodeFail},  {"OOM", JobState::kOutOfMemory}, {"BF", JobState::kBootFail},
      {"DL", JobState::kDeadline},  {"RQ", JobState::kRequeued},  {"CF", JobState::kPending},
  };
  if (auto it = names.find(word); it != names.end()) return it->second;
  if (auto it = codes.find(word); it != codes.end()) return it->second;
  return JobState::kUnknown;
}

bool IsFinal(JobState state) {
  switch (state) {
    case JobState::kCompleted:
    case JobState::kFailed:
    case JobState::kTimeout:
    case JobState::kPreempted:
    case JobState::kCancelled:
    case JobState::kNodeFail:
    case JobState::kOutOfMemory:
    case JobState::kBootFail:
    case JobState::kDeadline:
      return true;
    default:
      return false;
  }
}

Result<JobInfo> ParseScontrolJob(const std::string& one_line) {
  const auto f = Fields(one_line);
  const auto id = f.find("JobId");
  const auto state = f.find("JobState");
  if (id == f.end() || id->second.empty() || state == f.end()) {
    return Status::Corruption("not a `scontrol show job -o` line (no JobId or JobState): \"" +
                              one_line.substr(0, 200) + "\"");
  }
  auto get = [&](const char* key) {
    auto it = f.find(key);
    return it == f.end() || it->second == "(null)" ? std::string() : it->second;
  };
  JobInfo j;
  j.id = id->second;
  j.name = get("JobName");
  j.state = ParseJobState(state->second);
  j.reason = get("Reason");
  if (const std::string code = get("ExitCode"); !code.empty()) {
    const auto colon = code.find(':');
    j.exit_code = ToInt(code.substr(0, colon));
    if (colon != std::string::npos) j.exit_signal = ToInt(code.substr(colon + 1));
  }
  j.nodes = get("NodeList");
  j.restarts = ToInt(get("Restarts"));
  j.std_out = get("StdOut");
  j.comment = get("Comment");
  return j;
}

}  // namespace kaizen::slurm
