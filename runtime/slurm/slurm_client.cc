#include "runtime/slurm/slurm_client.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <spdlog/fmt/fmt.h>

namespace kaizen::slurm {
namespace {

bool Contains(const std::string& text, const char* what) {
  const std::string w = what;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(text).find(lower(w)) != std::string::npos;
}

std::string Trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Slurm's stderr on one line, for a message: `sbatch: error: x` / `...`.
std::string OneLine(const std::string& text) {
  std::string out, line;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      line = Trim(line);
      if (!line.empty()) out += (out.empty() ? "" : " / ") + line;
      line.clear();
    } else {
      line += text[i];
    }
  }
  if (out.size() > 600) out = out.substr(0, 600) + "...";
  return out;
}

// What Slurm's words mean for the caller (Slurm 22.05's messages). Checked in
// this order: a controller that cannot be reached says so whatever the request.
const char* const kUnavailable[] = {
    "Unable to contact slurm controller", "Socket timed out", "Connection refused", "Zero Bytes were transmitted",
    "Communication connection failure", "Slurm backup controller in standby mode",
    "Transport endpoint is not connected", "Resource temporarily unavailable",
    "Unable to contact", "Munge encode failed", "Unable to establish connection"};
const char* const kNotFound[] = {"Invalid job id specified", "Invalid job id"};
const char* const kInvalid[] = {"invalid partition", "Invalid partition name", "Requested node configuration is not available",
                                "Invalid generic resource", "Invalid account", "Invalid qos", "Invalid --time",
                                "Requested time limit is invalid", "Memory specification can not be satisfied",
                                "unrecognized option", "invalid option", "unknown option", "Invalid",
                                "Batch job submission failed", "Job violates accounting/QOS policy",
                                "More processors requested than permitted", "Node count specification invalid",
                                "Invalid feature specification", "Invalid node name specified",
                                "Access/permission denied", "User's group not permitted"};

Status MapFailure(const std::string& command, const CommandOutput& out) {
  const std::string said = OneLine(out.err.empty() ? out.out : out.err);
  const std::string message =
      fmt::format("{} failed (exit code {}): \"{}\"", command, out.exit_code, said.empty() ? "no output" : said);
  for (const char* p : kUnavailable) {
    if (Contains(said, p)) return Status::Unavailable(message + "; the Slurm controller does not answer (SLURM_CONF, slurmctld)");
  }
  for (const char* p : kNotFound) {
    if (Contains(said, p)) return Status::NotFound(message);
  }
  for (const char* p : kInvalid) {
    if (Contains(said, p)) return Status::InvalidArgument(message);
  }
  return Status::Internal(message);
}

bool ValidEnvName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// One word for /bin/sh: in single quotes, each ' written as '\''.
std::string Quote(const std::string& word) {
  std::string q = "'";
  for (char c : word) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

}  // namespace

std::string KaizenJobComment(const std::string& cluster, const std::string& state_dir, const std::string& part) {
  std::string c = "kaizen:" + cluster + ":" + state_dir + (part.empty() ? "" : ":" + part);
  for (char& ch : c) {
    if (std::isspace(static_cast<unsigned char>(ch))) ch = '_';
  }
  return c;
}

std::string BatchScript(const BatchSpec& spec) {
  std::string s = "#!/bin/sh\n";
  s += "# Written by Kaizen" + std::string(spec.name.empty() ? "" : " for " + spec.name) +
       "; submitted with sbatch.\n";
  for (const auto& [name, value] : spec.env) s += "export " + name + "=" + Quote(value) + "\n";
  // exec: the job's process is the command itself, so Slurm's signals
  // (scancel, the time limit) reach it and its exit code is the job's.
  s += "exec";
  for (const auto& a : spec.argv) s += " " + Quote(a);
  return s + "\n";
}

SlurmClient::SlurmClient(Options options, CommandRunner runner)
    : options_(std::move(options)), runner_(std::move(runner)) {}

Result<CommandOutput> SlurmClient::Run(const std::string& command, std::vector<std::string> args,
                                       const std::string& input) const {
  std::vector<std::string> argv;
  argv.push_back(options_.bin_dir.empty() ? command : options_.bin_dir + "/" + command);
  argv.insert(argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  auto out = runner_(argv, input, options_.command_timeout_ms);
  if (out.ok()) return out;
  // A slow controller is not a dead job: the caller asks again later.
  if (out.status().code() == Status::Code::kTimeout) {
    return Status::Unavailable(command + ": " + out.status().message() + "; the Slurm controller may be overloaded");
  }
  return Status::IOError(command + " could not be run (" + out.status().message() +
                         "); are Slurm's commands installed and on PATH?");
}

Result<std::string> SlurmClient::Submit(const BatchSpec& spec) const {
  if (spec.argv.empty() || spec.argv[0].empty()) return Status::InvalidArgument("sbatch: no command to run");
  for (const auto& [name, value] : spec.env) {
    if (!ValidEnvName(name)) return Status::InvalidArgument("sbatch: \"" + name + "\" is not an environment variable name");
  }
  std::vector<std::string> args = {"--parsable"};
  auto add = [&](const char* flag, const std::string& value) {
    if (!value.empty()) args.push_back(std::string(flag) + "=" + value);
  };
  add("--job-name", spec.name);
  if (!spec.output_path.empty()) {
    // Slurm opens the file on the node; the folder must be there (a shared filesystem).
    const auto dir = std::filesystem::path(spec.output_path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("sbatch: cannot create " + dir.string() + " for the job's output: " + ec.message());
  }
  add("--output", spec.output_path);
  add("--chdir", spec.work_dir);
  add("--partition", spec.partition);
  add("--account", spec.account);
  add("--time", spec.time_limit);
  if (spec.cpus > 0) add("--cpus-per-task", std::to_string(spec.cpus));
  add("--mem", spec.mem);
  add("--gres", spec.gres);
  add("--comment", spec.comment);
  if (spec.requeue) args.push_back("--requeue");
  args.insert(args.end(), spec.extra_args.begin(), spec.extra_args.end());
  auto out = Run("sbatch", std::move(args), BatchScript(spec));
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) return MapFailure("sbatch", *out);
  // --parsable: "<id>" or "<id>;<cluster>".
  std::string id = Trim(out->out);
  if (auto nl = id.rfind('\n'); nl != std::string::npos) id = Trim(id.substr(nl + 1));
  if (auto semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);
  if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return Status::Internal("sbatch --parsable printed no job id: \"" + OneLine(out->out) + "\"");
  }
  return id;
}

Result<JobInfo> SlurmClient::Query(const std::string& job_id) const {
  auto out = Run("scontrol", {"show", "job", "-o", job_id});
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) return MapFailure("scontrol show job " + job_id, *out);
  // A job array or heterogeneous job prints one line per part: the first is the job.
  const std::string text = Trim(out->out);
  auto job = ParseScontrolJob(text.substr(0, text.find('\n')));
  if (!job.ok()) return job.status().WithContext("scontrol show job " + job_id + ": ");
  return job;
}

Result<std::vector<JobInfo>> SlurmClient::ListByComment(const std::string& comment) const {
  // Every job the controller knows (finished ones too, until MinJobAge),
  // one line each, filtered here: squeue cannot filter by comment.
  auto out = Run("scontrol", {"show", "job", "-o"});
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) return MapFailure("scontrol show job", *out);
  std::vector<JobInfo> jobs;
  std::size_t start = 0;
  const std::string& text = out->out;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = Trim(text.substr(start, nl - start));
    start = nl + 1;
    if (line.empty() || line.rfind("JobId=", 0) != 0) continue;  // "No jobs in the system"
    auto job = ParseScontrolJob(line);
    if (job.ok() && job->comment == comment) jobs.push_back(std::move(*job));
  }
  return jobs;
}

Status SlurmClient::Cancel(const std::string& job_id, int signal) const {
  std::vector<std::string> args;
  if (signal != 0) {
    args.push_back("--signal=" + std::to_string(signal));
    args.push_back("--full");
  }
  args.push_back(job_id);
  auto out = Run("scancel", std::move(args));
  if (!out.ok()) return out.status();
  if (out->exit_code == 0) return Status::OK();
  Status s = MapFailure("scancel " + job_id, *out);
  // Gone already, or finishing: what the caller wanted.
  if (s.code() == Status::Code::kNotFound || Contains(out->err, "already completing or completed")) return Status::OK();
  return s;
}

Status SlurmClient::Requeue(const std::string& job_id) const {
  auto out = Run("scontrol", {"requeue", job_id});
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) return MapFailure("scontrol requeue " + job_id, *out);
  return Status::OK();
}

Status SlurmClient::Ping() const {
  auto out = Run("scontrol", {"ping"});
  if (!out.ok()) return out.status();
  // "Slurmctld(primary) at HOST is UP"; DOWN with exit code 1.
  if (out->exit_code == 0 && Contains(out->out, " is UP")) return Status::OK();
  const std::string said = OneLine(out->out + "\n" + out->err);
  return Status::Unavailable(fmt::format("scontrol ping (exit code {}): \"{}\"; the Slurm controller does not answer "
                                         "(is SLURM_CONF set and slurmctld running?)",
                                         out->exit_code, said.empty() ? "no output" : said));
}

}  // namespace kaizen::slurm
