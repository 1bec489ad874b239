// The `kaizen` subcommands. Each returns the process exit code:
// 0 success, 1 failure, 2 invalid input (manifest, flags), 3 cluster not running.
#pragma once

#include <string>
#include <vector>

namespace kaizen::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitInvalid = 2;
constexpr int kExitNotRunning = 3;

struct UpOptions {
  std::string manifest;
  std::string state_dir;
  bool detach = false;
  std::string summary_json;  // where to write the run summary when the scenario ends ("" = only state_dir)
};
int RunUp(const UpOptions& o);

// CLI commands that talk to a running cluster with CURVE on authenticate with
// an admin key: key_file, else $KAIZEN_KEY_FILE, else <state_dir>/keys/admin.key.
struct DownOptions {
  std::string state_dir;
  std::string key_file;
  int timeout_s = 60;
};
int RunDown(const DownOptions& o);

int RunValidate(const std::string& manifest);

struct StatusOptions {
  std::string state_dir;
  std::string key_file;
  std::string output = "text";  // text | json
  // --watch: redraw every interval_ms until Ctrl-C or the cluster goes down
  // (on a terminal: clear and redraw, clipped to its width; otherwise one
  // plain frame per interval).
  bool watch = false;
  int interval_ms = 1000;
};
int RunStatus(const StatusOptions& o);

// History commands: they read the store (read-only) and work with the cluster down.
struct CyclesOptions {
  std::string state_dir;
  std::string output = "text";  // text | json
};
int RunCycles(const CyclesOptions& o);

struct DescribeOptions {
  std::string state_dir;
  std::string id;               // the cycle id, e.g. c1; or the model version, e.g. v2
  std::string output = "text";  // text | json
};
int RunDescribeCycle(const DescribeOptions& o);
// kaizen describe model VERSION: registry entry, metrics, calibration (cmd_describe_model.cc).
int RunDescribeModel(const DescribeOptions& o);

// kaizen fsck: the store's integrity, the journal's order, the artifacts' hashes (cmd_fsck.cc).
struct FsckOptions {
  std::string state_dir;
};
int RunFsck(const FsckOptions& o);

// kaizen audit verify|show [CYCLE]|export [--output FILE]: the audit trail of
// Kaizen's self-modifications, read-only (cmd_audit.cc, docs/safety.md).
// verify exits 1 at the first broken link of the hash chain or artifact.
struct AuditOptions {
  enum class Action { kVerify, kShow, kExport };
  Action action = Action::kVerify;
  std::string state_dir;
  std::string cycle;    // show: only this cycle's entries ("" = all)
  std::string output;   // export: the file to write ("" or "-" = stdout)
};
int RunAudit(const AuditOptions& o);

struct ReportOptions {
  std::string state_dir;
  std::string cycle;            // "" = the last cycle
  std::string output = "report.html";
};
int RunReport(const ReportOptions& o);

struct LogsOptions {
  std::string state_dir;
  std::string key_file;
  bool follow = false;
  std::string agent;
  std::string cycle;
  std::string since;             // "10m", "2h", "30s", or an ISO-8601 UTC time
  std::string output = "text";   // text | json
  std::string role;              // only events about agents of this role ("runtime" for the runtime's own)
  std::string level;             // "" | info | warn | error: this level and above
  bool requests = false;         // also the gateway's HTTP requests, one line each
};
int RunLogs(const LogsOptions& o);

// An operator's decisions, sent as the CLI's admin identity (cmd_approve.cc).
// approve/reject answer the approval waiting for `id` (a cycle id, as
// `kaizen status` shows it); promote/rollback end a running A/B test (or a
// promotion waiting for its approval) by hand, `id` optional.
struct DecisionOptions {
  enum class Kind { kApprove, kReject, kPromote, kRollback };
  Kind kind = Kind::kApprove;
  std::string id;
  std::string reason;
  std::string state_dir;
  std::string key_file;
};
int RunDecision(const DecisionOptions& o);

// kaizen improve --reason R: start an improvement cycle now (a Trigger with policy "manual").
struct ImproveOptions {
  std::string reason;
  std::string person;  // --as (default $USER)
  std::string state_dir;
  std::string key_file;
};
int RunImprove(const ImproveOptions& o);

// kaizen anchor set VERSION | show: the drift anchor of spec.planning.bounds.max_drift_from_anchor.
struct AnchorOptions {
  enum class Action { kSet, kShow };
  Action action = Action::kShow;
  std::string version;  // set: the version to pin
  std::string reason;   // set: why (required; audited)
  std::string person;   // set: who (--as; default $USER)
  std::string state_dir;
  std::string key_file;
};
int RunAnchor(const AnchorOptions& o);

// kaizen tools list | show NAME [--version N]: the tool repository (issue 19).
struct ToolsOptions {
  enum class Action { kList, kShow };
  Action action = Action::kList;
  std::string name;     // show: the tool
  int64_t version = 0;  // show: 0 = the latest accepted, else that version
  bool json = false;    // one JSON object per tool (list) or the whole artifact (show)
  std::string state_dir;
};
int RunTools(const ToolsOptions& o);

struct AgentOptions {
  std::string role, id, connect;
  std::string key_file, server_key;  // CURVE (set by the runtime when security.curve is on)
  std::string log_level = "info";
};
int RunAgentCommand(const AgentOptions& o);

// Attaches a person as a human feedback agent (docs/feedback.md): a live feed
// of approvals, label requests and answers to rate, answered by single keys,
// or with --batch by lines read from stdin.
struct FeedbackOptions {
  std::string state_dir;
  std::string key_file;       // CURVE: the person's key (role feedback)
  std::string name;           // who is answering; default $USER
  bool batch = false;
  double wait_s = 60;         // --batch: how long `next` waits for an item
  int sample_every = 100;     // rate one answer in this many
  double low_confidence = 0.5;
};
int RunFeedback(const FeedbackOptions& o);

// Writes DIR/NAME.key (secret, 0600) and DIR/NAME.pub; prints the public key.
struct KeysOptions {
  std::string name;
  std::string dir = ".";
  bool force = false;  // replace existing files
};
int RunKeys(const KeysOptions& o);

// kaizen keys gateway NAME --file FILE: adds a gateway API key to FILE (made
// 0600 if missing; it stores only the key's hash) and prints the plain key,
// alone on stdout, this once. See docs/security.md, "Gateway API keys".
struct GatewayKeyOptions {
  std::string name;
  std::string file;
};
int RunGatewayKey(const GatewayKeyOptions& o);

// kaizen import-intents DIR --output FILE: converts an intent data set in
// CLINC150's raw layout (DIR/data_full.json, DIR/domains.json) to the JSONL the
// manifests read, written atomically; prints rows per split and domain, and
// warnings on stderr. Exit 2 when the input is wrong, 1 when FILE cannot be
// written. See agents/models/intent_import.h and docs/bring-your-own-data.md.
struct ImportIntentsOptions {
  std::string dir;
  std::string output;
  bool keep_oos = false;  // keep oos_* lists as intent "oos", domain "oos"
};
int RunImportIntents(const ImportIntentsOptions& o);

// Internal: the built-in trainer, run by the training agent as a child process.
struct TrainModelOptions {
  std::string base, dataset, replay_data, version, output;
  std::string holdout_output;  // refit: the model trained without the validation rows
  std::string replay_split = "train";
  std::vector<std::string> replay_domains;
  double replay_fraction = 0.5;
  int epochs = 5;
};
int RunTrainModel(const TrainModelOptions& o);

}  // namespace kaizen::cli
