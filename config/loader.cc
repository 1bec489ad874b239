// LoadManifestFile / LoadManifestString: read, guard, parse, validate,
// resolve, check, and turn the result into the typed Manifest.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/checks.h"
#include "config/diagnostic.h"
#include "config/manifest.h"
#include "config/manifest_schema.h"
#include "config/validator.h"
#include "config/yaml_guard.h"

namespace kaizen::config {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr size_t kMaxManifestBytes = 4u << 20;  // a real manifest is a few KiB

LoadResult Failure(const std::string& file, const YAML::Mark& mark, std::string message) {
  LoadResult r;
  r.errors.push_back(MakeDiagnostic(file, mark, "", std::move(message)));
  return r;
}

std::string TooLarge(size_t bytes) {
  return "the manifest is " + std::to_string(bytes) + " bytes; the limit is " +
         std::to_string(kMaxManifestBytes >> 20) + " MiB";
}

RestartSpec ToRestart(const json& r) {
  RestartSpec s;
  const std::string p = r.at("policy").get<std::string>();
  s.policy = p == "never" ? RestartPolicy::kNever : p == "on-failure" ? RestartPolicy::kOnFailure : RestartPolicy::kAlways;
  s.backoff_initial_ms = r.at("backoff_initial_ms").get<int64_t>();
  s.backoff_max_ms = r.at("backoff_max_ms").get<int64_t>();
  s.max_restarts = r.at("max_restarts").get<int>();
  s.window_s = r.at("window_s").get<int64_t>();
  return s;
}

}  // namespace

std::vector<std::string> ReplicaIds(const std::string& first_id, int64_t replicas) {
  std::vector<std::string> ids{first_id};
  for (int64_t i = 2; i <= replicas; ++i) ids.push_back(first_id + "-" + std::to_string(i));
  return ids;
}

namespace {

Placement ToPlacement(const std::string& name) {
  return name == "slurm" ? Placement::kSlurm : name == "external" ? Placement::kExternal : Placement::kFork;
}

// doc has passed every check: every key the schema defaults is there.
Manifest Build(const json& doc, const std::string& source_path) {
  Manifest m;
  m.source_path = source_path;
  m.base_dir = fs::path(source_path).parent_path().string();
  m.api_version = doc.at("apiVersion").get<std::string>();
  m.kind = doc.at("kind").get<std::string>();
  const json& meta = doc.at("metadata");
  m.name = meta.at("name").get<std::string>();
  for (auto it = meta.at("labels").begin(); it != meta.at("labels").end(); ++it)
    m.labels[it.key()] = it.value().get<std::string>();
  m.spec = doc.at("spec");

  const json& rt = m.spec.at("runtime");
  RuntimeSpec& r = m.runtime;
  r.state_dir = rt.at("state_dir").get<std::string>();
  r.control_endpoint = rt.at("endpoints").at("control").get<std::string>();
  r.events_endpoint = rt.at("endpoints").at("events").get<std::string>();
  r.heartbeat_interval_ms = rt.at("heartbeat").at("interval_ms").get<int64_t>();
  r.liveness = rt.at("heartbeat").at("liveness").get<int>();
  r.max_frame_bytes = rt.at("bus").at("max_frame_bytes").get<int64_t>();
  r.max_messages_per_s = rt.at("bus").at("max_messages_per_s").get<int64_t>();
  r.task_timeout_ms = rt.at("router").at("task_timeout_ms").get<int64_t>();
  r.max_in_flight_per_instance = rt.at("router").at("max_in_flight_per_instance").get<int64_t>();
  r.keep_answered_tasks = rt.at("router").at("keep_answered_tasks").get<int64_t>();
  r.shutdown_grace_ms = rt.at("shutdown_grace_ms").get<int64_t>();
  r.log_level = rt.at("log_level").get<std::string>();
  r.curve = rt.at("security").at("curve").get<bool>();
  r.insecure_tcp = rt.at("security").at("insecure_tcp").get<bool>();
  r.launcher = ToPlacement(rt.at("launcher").get<std::string>());
  r.server_key = rt.at("security").value("server_key", "");
  const json& slurm = m.spec.at("slurm");
  m.slurm.partition = slurm.at("partition").get<std::string>();
  m.slurm.account = slurm.at("account").get<std::string>();
  m.slurm.time_limit = slurm.at("time_limit").get<std::string>();
  m.slurm.poll_interval_ms = slurm.at("poll_interval_ms").get<int64_t>();
  m.slurm.extra_args = slurm.at("extra_args").get<std::vector<std::string>>();
  for (const json& c : rt.at("security").at("clients")) {
    r.clients.push_back({c.at("name").get<std::string>(), c.at("role").get<std::string>(),
                         c.value("public_key", ""), c.value("public_key_file", "")});
  }

  for (const char* role : kRoles) {
    if (!m.spec.contains(role)) continue;  // optional roles (the simulator)
    const json& section = m.spec.at(role);
    AgentSpec a;
    a.id = section.at("id").get<std::string>();
    a.role = role;
    a.restart = ToRestart(section.at("restart"));
    a.placement = section.contains("placement") ? ToPlacement(section.at("placement").get<std::string>()) : r.launcher;
    const json& res = section.at("resources");
    a.resources = {res.at("cpus").get<int>(), res.at("mem").get<std::string>(), res.at("gres").get<std::string>()};
    a.settings = section;
    // Replicas (worker, gateway): the same settings under each id.
    for (const std::string& id : ReplicaIds(a.id, section.value("replicas", int64_t{1}))) {
      a.id = id;
      m.agents.push_back(a);
    }
  }
  return m;
}

}  // namespace

LoadResult LoadManifestFile(const std::string& path, const std::string& state_dir_override) {
  const YAML::Mark none = YAML::Mark::null_mark();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return Failure(path, none, "cannot read the manifest: no such file");
  if (fs::is_directory(st)) return Failure(path, none, "cannot read the manifest: it is a directory, not a file");
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxManifestBytes) return Failure(path, none, TooLarge(size));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Failure(path, none, std::string("cannot read the manifest: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return LoadManifestString(text.str(), path, state_dir_override);
}

LoadResult LoadManifestString(const std::string& yaml, const std::string& file_name,
                              const std::string& state_dir_override) {
  const YAML::Mark none = YAML::Mark::null_mark();
  if (yaml.size() > kMaxManifestBytes) return Failure(file_name, none, TooLarge(yaml.size()));
  if (auto problem = CheckYamlShape(yaml)) return Failure(file_name, problem->mark, problem->message);

  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    return Failure(file_name, e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Failure(file_name, e.mark, "cannot parse YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull())
    return Failure(file_name, none, "the manifest is empty; expected a mapping with apiVersion, kind, metadata and spec");

  std::error_code ec;
  const fs::path source = fs::absolute(fs::path(file_name), ec).lexically_normal();

  LoadResult r;
  Validator validator(file_name, &r.errors);
  json doc = validator.Validate(ManifestSchema(), root);
  CheckContext ctx{&validator, source.parent_path().string(), state_dir_override};
  ResolvePaths(&doc, ctx);
  ResolveRestarts(&doc, ctx);
  CheckRules(doc, ctx);
  SortByPosition(&r.errors);
  if (r.ok()) r.manifest = Build(doc, source.string());
  return r;
}

}  // namespace kaizen::config
