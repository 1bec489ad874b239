// The cluster manifest after validation and defaults: what the runtime and
// the supervisor need as typed fields, plus each role's own settings as JSON
// (each agent validates nothing again: the schema already did).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::config {

enum class RestartPolicy { kAlways, kOnFailure, kNever };
const char* RestartPolicyName(RestartPolicy p);

struct RestartSpec {
  RestartPolicy policy = RestartPolicy::kAlways;
  int64_t backoff_initial_ms = 500;   // first restart delay
  int64_t backoff_max_ms = 30000;     // the delay doubles up to this
  int max_restarts = 5;               // more than this many within window_s: give up
  int64_t window_s = 60;
};

// Who starts an agent (spec.<role>.placement, else spec.runtime.launcher).
enum class Placement { kFork, kSlurm, kExternal };
const char* PlacementName(Placement p);

// What an agent's Slurm job asks for (spec.<role>.resources).
struct JobResources {
  int cpus = 1;
  std::string mem;   // "" = Slurm's default
  std::string gres;  // "" = none
};

// One agent process of the cluster.
struct AgentSpec {
  std::string id;                 // unique in the cluster; the bus identity
  std::string role;               // worker, monitoring, planning, datagen, training, evaluation, deployment
  RestartSpec restart;
  Placement placement = Placement::kFork;
  JobResources resources;
  nlohmann::json settings;        // the role's section of spec, defaults applied
};

// The ids of an agent's replicas: first_id, first_id-2, ..., first_id-N
// (worker and gateway replicas, the clone's).
std::vector<std::string> ReplicaIds(const std::string& first_id, int64_t replicas);

// The Slurm cluster (spec.slurm).
struct SlurmSpec {
  std::string partition, account, time_limit;  // "" = Slurm's default
  int64_t poll_interval_ms = 1000;
  std::vector<std::string> extra_args;
};

// A CURVE key admitted to the bus (spec.runtime.security.clients).
struct CurveClient {
  std::string name;
  std::string role;             // agent, feedback, admin
  std::string public_key;       // Z85; or
  std::string public_key_file;  // absolute after loading
};

struct RuntimeSpec {
  std::string state_dir;          // absolute after loading
  std::string control_endpoint;   // ROUTER bind address
  std::string events_endpoint;    // XPUB bind address
  int64_t heartbeat_interval_ms = 500;
  int liveness = 4;               // missed intervals before a peer is lost
  int64_t max_frame_bytes = 1 << 20;
  int64_t max_messages_per_s = 50000;  // per peer; 0 = unlimited
  int64_t task_timeout_ms = 10000;             // unanswered this long: sent to another instance
  int64_t max_in_flight_per_instance = 256;    // 0 = unlimited
  int64_t keep_answered_tasks = 1 << 20;       // answered tasks kept in the store, newest first
  int64_t shutdown_grace_ms = 5000;
  std::string log_level = "info";
  bool curve = false;
  bool insecure_tcp = false;         // tcp:// endpoints allowed without CURVE
  Placement launcher = Placement::kFork;  // kFork or kSlurm
  std::string server_key;            // the runtime's key file, absolute; default <state_dir>/keys/runtime.key
  std::vector<CurveClient> clients;  // admitted besides the runtime's agent and admin keys
};

struct Manifest {
  std::string source_path;        // the file it came from, absolute
  std::string base_dir;           // directory of source_path; relative data paths resolve here
  std::string api_version;
  std::string kind;
  std::string name;
  std::map<std::string, std::string> labels;
  RuntimeSpec runtime;
  std::vector<AgentSpec> agents;  // every agent (replicas each), in start order; external ones included
  SlurmSpec slurm;
  nlohmann::json spec;            // the whole spec with defaults applied (for later stages)
};

// One problem found in a manifest. Rendered as
//   FILE:LINE:COLUMN: error: KEY.PATH: expected X, found Y
struct Diagnostic {
  std::string file;
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string path;  // e.g. spec.runtime.heartbeat.interval_ms
  std::string message;
  std::string ToString() const;
};

struct LoadResult {
  bool ok() const { return errors.empty(); }
  Manifest manifest;                  // valid only when ok()
  std::vector<Diagnostic> errors;     // all problems found, in file order
};

// Reads, validates and applies defaults. state_dir_override, when not empty,
// replaces spec.runtime.state_dir (the --state-dir flag). Relative state dirs
// resolve against the current directory; endpoints default to ipc:// sockets
// inside the state dir.
LoadResult LoadManifestFile(const std::string& path, const std::string& state_dir_override = "");
LoadResult LoadManifestString(const std::string& yaml, const std::string& file_name,
                              const std::string& state_dir_override = "");

}  // namespace kaizen::config
