// kaizen: one binary for the runtime, its agents and its operators.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "runtime/cli/commands.h"

int main(int argc, char** argv) {
  using namespace kaizen::cli;
  CLI::App app{"Kaizen: a runtime for self-improving agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", KAIZEN_VERSION);
  int code = kExitOk;
  const char* kKeyFileHelp =
      "CURVE key file (security.curve); default $KAIZEN_KEY_FILE, else <state_dir>/keys/admin.key";

  UpOptions up;
  auto* up_cmd = app.add_subcommand("up", "Start a cluster from a manifest (foreground unless --detach)");
  up_cmd->add_option("manifest", up.manifest, "Manifest file (YAML)")->required();
  up_cmd->add_flag("-d,--detach", up.detach, "Run in the background and return once the cluster is up");
  up_cmd->add_option("--state-dir", up.state_dir, "State directory (overrides spec.runtime.state_dir)");
  up_cmd->add_option("--summary-json", up.summary_json,
                     "When the simulated scenario ends, also write the run summary (JSON) to this file (with --detach too)");
  up_cmd->callback([&] { code = RunUp(up); });

  DownOptions down;
  auto* down_cmd = app.add_subcommand("down", "Drain and stop a running cluster");
  down_cmd->add_option("--state-dir", down.state_dir, "State directory of the cluster");
  down_cmd->add_option("--key-file", down.key_file, kKeyFileHelp);
  down_cmd->add_option("--timeout", down.timeout_s, "Seconds to wait for the runtime to exit")->capture_default_str();
  down_cmd->callback([&] { code = RunDown(down); });

  std::string validate_file;
  auto* validate_cmd = app.add_subcommand("validate", "Check a manifest; errors name file:line:column and the key");
  validate_cmd->add_option("manifest", validate_file, "Manifest file (YAML)")->required();
  validate_cmd->callback([&] { code = RunValidate(validate_file); });

  ImportIntentsOptions import_intents;
  auto* import_cmd = app.add_subcommand(
      "import-intents", "Convert an intent data set in CLINC150's layout (data_full.json, domains.json) to JSONL");
  import_cmd->add_option("dir", import_intents.dir, "Folder holding data_full.json and domains.json")->required();
  import_cmd->add_option("-o,--output", import_intents.output, "JSONL file to write (atomically)")->required();
  import_cmd->add_flag("--keep-oos", import_intents.keep_oos,
                       "Keep the oos_train/oos_val/oos_test lists as intent \"oos\", domain \"oos\"");
  import_cmd->callback([&] { code = RunImportIntents(import_intents); });

  StatusOptions status;
  auto* status_cmd = app.add_subcommand("status", "Agents, states, versions, bus counters, current cycle");
  status_cmd->add_option("--state-dir", status.state_dir, "State directory of the cluster");
  status_cmd->add_option("--key-file", status.key_file, kKeyFileHelp);
  status_cmd->add_option("-o,--output", status.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  status_cmd->add_flag("-w,--watch", status.watch, "Redraw until Ctrl-C or the cluster goes down");
  status_cmd->add_option("--interval", status.interval_ms, "Milliseconds between redraws with --watch")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();
  status_cmd->callback([&] { code = RunStatus(status); });

  LogsOptions logs;
  auto* logs_cmd = app.add_subcommand("logs", "The agent state log from the journal");
  logs_cmd->add_option("--state-dir", logs.state_dir, "State directory of the cluster");
  logs_cmd->add_option("--key-file", logs.key_file, kKeyFileHelp);
  logs_cmd->add_flag("-f,--follow", logs.follow, "Keep printing new events live");
  logs_cmd->add_option("--agent", logs.agent, "Only events about this agent id");
  logs_cmd->add_option("--cycle", logs.cycle, "Only events of this cycle id");
  logs_cmd->add_option("--role", logs.role, "Only events about agents of this role (runtime: the runtime's own)");
  logs_cmd->add_option("--level", logs.level, "Only events at this level or above: info, warn, error")
      ->check(CLI::IsMember({"info", "warn", "error"}));
  logs_cmd->add_option("--since", logs.since, "Only events newer than 30s, 10m, 2h, 1d or a UTC time");
  logs_cmd->add_flag("--requests", logs.requests,
                     "Also the HTTP requests the gateway answered, one line each (status, latency, task id)");
  logs_cmd->add_option("-o,--output", logs.output, "text or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}));
  logs_cmd->callback([&] { code = RunLogs(logs); });

  // Operator decisions: approvals waiting (see `kaizen status`) and the A/B override.
  DecisionOptions decision;
  auto add_decision = [&](const char* name, const char* help, DecisionOptions::Kind kind, bool id_required) {
    auto* c = app.add_subcommand(name, help);
    auto* id = c->add_option("id", decision.id, id_required ? "Approval id: the cycle id `kaizen status` shows"
                                                             : "Cycle id (default: the running cycle)");
    if (id_required) id->required();
    c->add_option("--reason", decision.reason, "Why (kept in the journal, shown by `kaizen logs`)")->required();
    c->add_option("--state-dir", decision.state_dir, "State directory of the cluster");
    c->add_option("--key-file", decision.key_file, kKeyFileHelp);
    c->callback([&, kind] {
      decision.kind = kind;
      code = RunDecision(decision);
    });
  };
  add_decision("approve", "Approve what waits for a person: a plan or a promotion", DecisionOptions::Kind::kApprove,
               true);
  add_decision("reject", "Reject what waits for a person: the cycle aborts or rolls back",
               DecisionOptions::Kind::kReject, true);
  add_decision("promote", "End the running A/B test now: promote the candidate", DecisionOptions::Kind::kPromote,
               false);
  add_decision("rollback", "End the running A/B test now: roll back to the incumbent",
               DecisionOptions::Kind::kRollback, false);

  CyclesOptions cycles;
  FsckOptions fsck;
  auto* fsck_cmd = app.add_subcommand(
      "fsck", "Check the store (integrity, journal order, task answers) and that every artifact hashes to its name");
  fsck_cmd->add_option("--state-dir", fsck.state_dir, "State directory of the cluster (running or not)");
  fsck_cmd->callback([&] { code = RunFsck(fsck); });

  auto* cycles_cmd = app.add_subcommand("cycles", "The improvement cycles: trigger, outcome, stage durations, versions");
  cycles_cmd->add_option("--state-dir", cycles.state_dir, "State directory of the cluster (running or not)");
  cycles_cmd->add_option("-o,--output", cycles.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cycles_cmd->callback([&] { code = RunCycles(cycles); });

  DescribeOptions describe;
  auto* describe_cmd = app.add_subcommand("describe", "Tell the story of one thing the cluster did");
  describe_cmd->require_subcommand(1);
  auto* describe_cycle = describe_cmd->add_subcommand(
      "cycle", "A cycle's trigger evidence, plan, data, training, evaluation, A/B counts and decision");
  describe_cycle->add_option("id", describe.id, "Cycle id (kaizen cycles lists them)")->required();
  describe_cycle->add_option("--state-dir", describe.state_dir, "State directory of the cluster (running or not)");
  describe_cycle->add_option("-o,--output", describe.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  describe_cycle->callback([&] { code = RunDescribeCycle(describe); });
  auto* describe_model = describe_cmd->add_subcommand(
      "model", "A model version's registry entry and metrics, and how well its confidence matches its accuracy");
  describe_model->add_option("version", describe.id, "Model version, e.g. v2 (kaizen status shows the serving one)")
      ->required();
  describe_model->add_option("--state-dir", describe.state_dir, "State directory of the cluster (running or not)");
  describe_model->add_option("-o,--output", describe.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  describe_model->callback([&] { code = RunDescribeModel(describe); });

  ImproveOptions improve;
  auto* improve_cmd = app.add_subcommand(
      "improve", "Start an improvement cycle now, whatever monitoring says (admin; the cycle's bounds apply)");
  improve_cmd->add_option("--reason", improve.reason, "Why; the cycle's trigger reason")->required();
  improve_cmd->add_option("--as", improve.person, "Who asks (default: $USER)");
  improve_cmd->add_option("--state-dir", improve.state_dir, "State directory of the running cluster");
  improve_cmd->add_option("--key-file", improve.key_file, kKeyFileHelp);
  improve_cmd->callback([&] { code = RunImprove(improve); });

  AnchorOptions anchor;
  auto* anchor_cmd = app.add_subcommand(
      "anchor", "The version spec.planning.bounds.max_drift_from_anchor measures against (docs/safety.md)");
  anchor_cmd->require_subcommand(1);
  auto* anchor_set = anchor_cmd->add_subcommand("set", "Pin the anchor to a version that has served (admin; audited)");
  anchor_set->add_option("version", anchor.version, "The version, e.g. v3 (kaizen cycles lists them)")->required();
  anchor_set->add_option("--reason", anchor.reason, "Why; goes into the journal and the audit trail")->required();
  anchor_set->add_option("--as", anchor.person, "Who decides (default: $USER)");
  anchor_set->add_option("--state-dir", anchor.state_dir, "State directory of the running cluster");
  anchor_set->add_option("--key-file", anchor.key_file, kKeyFileHelp);
  anchor_set->callback([&] {
    anchor.action = AnchorOptions::Action::kSet;
    code = RunAnchor(anchor);
  });
  auto* anchor_show = anchor_cmd->add_subcommand("show", "The anchor and every move of it");
  anchor_show->add_option("--state-dir", anchor.state_dir, "State directory of the cluster (running or not)");
  anchor_show->callback([&] {
    anchor.action = AnchorOptions::Action::kShow;
    code = RunAnchor(anchor);
  });

  ToolsOptions tools;
  auto* tools_cmd = app.add_subcommand("tools", "The tools the agent wrote for itself, with their tests (docs/strategies.md)");
  tools_cmd->require_subcommand(1);
  auto* tools_list = tools_cmd->add_subcommand("list", "Every version of every tool: accepted or rejected, and why");
  tools_list->add_option("--state-dir", tools.state_dir, "State directory of the cluster (running or not)");
  tools_list->add_flag("--json", tools.json, "One JSON object per line");
  tools_list->callback([&] {
    tools.action = ToolsOptions::Action::kList;
    code = RunTools(tools);
  });
  auto* tools_show = tools_cmd->add_subcommand("show", "A tool's code, schema, tests and their results, provenance");
  tools_show->add_option("name", tools.name, "The tool's name (kaizen tools list shows them)")->required();
  tools_show->add_option("--version", tools.version, "Which version (default: the latest accepted)");
  tools_show->add_option("--state-dir", tools.state_dir, "State directory of the cluster (running or not)");
  tools_show->add_flag("--json", tools.json, "The row and the artifact as one JSON object");
  tools_show->callback([&] {
    tools.action = ToolsOptions::Action::kShow;
    code = RunTools(tools);
  });

  AuditOptions audit;
  auto* audit_cmd = app.add_subcommand("audit", "The tamper-evident audit trail of every self-modification");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand(
      "verify", "Recompute the hash chain and the artifacts' hashes; exit 1 naming the first broken link");
  audit_verify->add_option("--state-dir", audit.state_dir, "State directory of the cluster (running or not)");
  audit_verify->callback([&] {
    audit.action = AuditOptions::Action::kVerify;
    code = RunAudit(audit);
  });
  auto* audit_show = audit_cmd->add_subcommand("show", "Print the trail, one line per entry");
  audit_show->add_option("cycle", audit.cycle, "Only this cycle's entries (kaizen cycles lists them)");
  audit_show->add_option("--state-dir", audit.state_dir, "State directory of the cluster (running or not)");
  audit_show->callback([&] {
    audit.action = AuditOptions::Action::kShow;
    code = RunAudit(audit);
  });
  auto* audit_export = audit_cmd->add_subcommand(
      "export", "Write every entry, hashes included, as JSON lines for an outside system");
  audit_export->add_option("-o,--output", audit.output, "File to write (default: stdout)");
  audit_export->add_option("--state-dir", audit.state_dir, "State directory of the cluster (running or not)");
  audit_export->callback([&] {
    audit.action = AuditOptions::Action::kExport;
    code = RunAudit(audit);
  });

  ReportOptions report;
  auto* report_cmd = app.add_subcommand("report", "A self-contained HTML report with charts of the run and a cycle");
  report_cmd->add_option("cycle", report.cycle, "Cycle id (default: the last one)");
  report_cmd->add_option("-o,--output", report.output, "HTML file to write")->capture_default_str();
  report_cmd->add_option("--state-dir", report.state_dir, "State directory of the cluster (running or not)");
  report_cmd->callback([&] { code = RunReport(report); });

  AgentOptions agent;
  auto* agent_cmd = app.add_subcommand(
      "agent", "Run one agent process: started by the runtime, or by you for an agent with placement: external");
  agent_cmd->add_option("--role", agent.role, "Agent role")->required();
  agent_cmd->add_option("--id", agent.id, "Agent id (its bus identity)")->required();
  agent_cmd->add_option("--connect", agent.connect, "Runtime control endpoint")->required();
  agent_cmd->add_option("--log-level", agent.log_level, "trace, debug, info, warn, error");
  agent_cmd->add_option("--key-file", agent.key_file, "CURVE key file of this agent (security.curve)");
  agent_cmd->add_option("--server-key", agent.server_key,
                        "The runtime's CURVE public key: Z85 text, or a file (<state_dir>/keys/runtime.pub)");
  agent_cmd->callback([&] { code = RunAgentCommand(agent); });

  FeedbackOptions fb;
  auto* fb_cmd = app.add_subcommand("feedback", "Attach as a person: rate answers, label, approve (docs/feedback.md)");
  fb_cmd->add_option("--state-dir", fb.state_dir, "State directory of the cluster");
  fb_cmd->add_option("--key-file", fb.key_file, "CURVE key file of this person (role feedback); default as for status");
  fb_cmd->add_option("--as", fb.name, "Who is answering (default $USER); the bus identity is NAME.PID");
  fb_cmd->add_flag("--batch", fb.batch, "Read answers from stdin, one per line, and print results as JSON lines");
  fb_cmd->add_option("--wait", fb.wait_s, "--batch: seconds `next` waits for an item")->capture_default_str();
  fb_cmd->add_option("--sample-every", fb.sample_every, "Offer one answer in N to rate (0 = none)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  fb_cmd->add_option("--low-confidence", fb.low_confidence, "Offer answers below this confidence to rate (0 = none)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  fb_cmd->callback([&] { code = RunFeedback(fb); });

  KeysOptions keys;
  auto* keys_cmd = app.add_subcommand(
      "keys", "Make a CURVE key pair: NAME.key (secret) and NAME.pub; `keys gateway` adds a gateway API key");
  // Not ->required(): CLI11 would then take `gateway` as the name. Checked below instead.
  keys_cmd->add_option("name", keys.name,
                       "Key name (file names NAME.key, NAME.pub); for a pair named gateway: kaizen keys -- gateway");
  keys_cmd->add_option("--dir", keys.dir, "Directory to write to")->capture_default_str();
  keys_cmd->add_flag("--force", keys.force, "Replace existing key files");
  GatewayKeyOptions gateway_key;
  auto* gateway_key_cmd = keys_cmd->add_subcommand(
      "gateway", "Add an API key of the HTTP gateway to a key file (stores its hash; prints the key once)");
  gateway_key_cmd->add_option("name", gateway_key.name, "Key name: letters, digits, '_', '.', '-' (up to 63)");
  gateway_key_cmd->add_option("--file", gateway_key.file, "Key file to add it to (made 0600 if missing)");
  gateway_key_cmd->callback([&] {
    if (!keys.name.empty() || keys_cmd->count("--dir") > 0 || keys_cmd->count("--force") > 0) {
      std::fprintf(stderr, "kaizen keys gateway: takes only NAME and --file FILE (--dir, --force and a name "
                           "before `gateway` are for CURVE key pairs)\n");
      code = kExitInvalid;
      return;
    }
    code = RunGatewayKey(gateway_key);
  });
  keys_cmd->callback([&] {
    if (gateway_key_cmd->parsed()) return;  // its own callback ran
    if (keys.name.empty()) {
      std::fprintf(stderr, "kaizen keys: give a key name: kaizen keys NAME [--dir DIR] [--force]\n");
      code = kExitInvalid;
      return;
    }
    code = RunKeys(keys);
  });

  // Internal, started by the training agent; an empty group hides it from --help.
  TrainModelOptions train;
  auto* train_cmd = app.add_subcommand("train-model", "Train a built-in model (run by the training agent)");
  train_cmd->group("");
  train_cmd->add_option("--base", train.base, "Base model file")->required();
  train_cmd->add_option("--dataset", train.dataset, "Dataset JSONL (rows with split train are used)")->required();
  train_cmd->add_option("--replay-data", train.replay_data, "Original training data to mix in (JSONL)");
  train_cmd->add_option("--replay-split", train.replay_split, "Split of the replay data");
  train_cmd->add_option("--replay-domains", train.replay_domains, "Domains of the replay data")->delimiter(',');
  train_cmd->add_option("--replay-fraction", train.replay_fraction, "Share of replay rows in the mix")
      ->check(CLI::Range(0.0, 1.0));
  train_cmd->add_option("--epochs", train.epochs, "Passes over the data")->check(CLI::Range(1, 1000));
  train_cmd->add_option("--version", train.version, "Version stamped into the model")->required();
  train_cmd->add_option("--output", train.output, "Output model file")->required();
  train_cmd->add_option("--holdout-output", train.holdout_output,
                        "Refit: write the model trained without the validation rows here, and train --output on "
                        "every row");
  train_cmd->callback([&] { code = RunTrainModel(train); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitInvalid;
  }
  return code;
}
