#include "config/manifest_schema.h"

#include <stdexcept>

namespace kaizen::config {
namespace {

using json = nlohmann::json;

// DNS-label style: safe as a directory name, a log file name and a bus identity.
const char* const kNamePattern = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const char* const kNameWhy = "lowercase letters, digits and '-', 1 to 63 characters, not starting or ending with '-'";
const char* const kDatasetPattern = "[A-Za-z0-9][A-Za-z0-9_.-]{0,62}";
const char* const kDatasetWhy = "letters, digits, '_', '.', '-'; up to 63 characters";

// ZeroMQ's Z85 text form of a 32-byte CURVE key.
const char* const kZ85KeyPattern = R"([0-9a-zA-Z.:+=^!/*?&<>()\[\]{}@%$#-]{40})";
const char* const kZ85KeyWhy = "40 characters of ZeroMQ's Z85 alphabet, as `kaizen keys` prints it";

constexpr int64_t kDay = 86400;

// Restart policy. In spec.runtime every key has a default; in a role section
// each key is optional and overrides the runtime's value.
SchemaPtr RestartSchema(bool role_override) {
  ObjectBuilder b(role_override ? "Restart policy for this agent; each key given overrides the same key of "
                                  "spec.runtime.restart."
                                : "How the supervisor restarts an agent process that exits.");
  auto add = [&](const char* name, SchemaPtr s, json def, const char* doc) {
    if (role_override) {
      b.Optional(name, std::move(s), doc, std::string("spec.runtime.restart.") + name);
    } else {
      b.Default(name, std::move(s), std::move(def), doc);
    }
  };
  add("policy", Enum({"always", "on-failure", "never"}), "always",
      "always: restart whenever it exits; on-failure: only after a non-zero exit or a signal; never: leave it down.");
  add("backoff_initial_ms", Int(1, 3600000), 500, "Delay before the first restart; doubles after each restart.");
  add("backoff_max_ms", Int(1, kDay * 1000), 30000, "Upper bound of the doubling restart delay.");
  add("max_restarts", Int(0, 1000000), 5,
      "More restarts than this within window_s and the supervisor gives up on the agent.");
  add("window_s", Int(1, 7 * kDay), 60, "The sliding window, in seconds, that max_restarts counts over.");
  return b.Build();
}

// The resources of a Slurm job (an agent's, or a trainer's).
const char* const kMemPattern = "([0-9]+[KMGT]?)?";
const char* const kMemWhy = "a size in megabytes, or with a unit suffix K, M, G or T (e.g. 512M, 4G); empty: Slurm's default";

SchemaPtr AgentResourcesSchema() {
  return ObjectBuilder("Slurm resources of one job.")
      .Default("cpus", Int(1, 4096), 1, "CPUs for the job (--cpus-per-task).")
      .Default("mem", Pattern(kMemPattern, kMemWhy), "", "Memory for the job (--mem); empty: Slurm's default.")
      .Default("gres", String(), "", "Generic resources (--gres), e.g. gpu:1; empty: none.")
      .Build();
}

// id and restart come first in every role section.
ObjectBuilder RoleSection(const std::string& role, const std::string& doc) {
  ObjectBuilder b(doc);
  b.Default("id", Pattern(kNamePattern, kNameWhy), role,
            "The agent's id: its bus identity and the name of its log file; unique in the cluster.");
  b.Optional("restart", RestartSchema(true), "Overrides of spec.runtime.restart for this agent.",
             "spec.runtime.restart");
  b.Optional("placement", Enum({"fork", "slurm", "external"}),
             "Who starts this agent (docs/distributed.md). fork: the runtime, as its child; slurm: the runtime, as "
             "a Slurm job (spec.slurm, resources); external: someone else (an operator, a scheduler) runs `kaizen "
             "agent --role ROLE --id ID --connect ENDPOINT` on any host; the runtime waits for it, reports it "
             "lost when its heartbeats stop, and never restarts it.",
             "spec.runtime.launcher");
  b.Default("resources", AgentResourcesSchema(), json::object(),
            "What this agent's Slurm job asks for (placement slurm); ignored otherwise.");
  return b;
}

SchemaPtr TrainSchema(const std::string& doc, const std::string& default_split) {
  return ObjectBuilder(doc)
      .Required("dataset", Pattern(kDatasetPattern, kDatasetWhy), "Name of an entry of spec.data.")
      .Default("split", String(), default_split, "Which split of the dataset to use (e.g. train, val, test).")
      .Default("domains", ListOf(String(), 0, true), json::array(),
               "Only examples of these domains; empty means all domains.")
      .Build();
}

SchemaPtr RuntimeSchema() {
  auto endpoint = Pattern("(ipc://.+|tcp://.+)", "ipc://PATH or tcp://HOST:PORT, PORT may be * for any free port");
  auto endpoints = ObjectBuilder("Where the runtime binds its sockets; agents and CLI clients connect there.")
                       .Optional("control", endpoint, "ROUTER socket for requests, replies, commands and heartbeats.",
                                 "ipc://<state_dir>/control.sock")
                       .Optional("events", endpoint, "XPUB socket on which journaled events are published.",
                                 "ipc://<state_dir>/events.sock")
                       .Build();
  auto heartbeat = ObjectBuilder("Heartbeats between the runtime and the agents, both ways.")
                       .Default("interval_ms", Int(50, 60000), 500, "Time between heartbeats.")
                       .Default("liveness", Int(2, 100), 4,
                                "Missed heartbeats after which a peer counts as lost (an agent is then restarted).")
                       .Build();
  auto bus = ObjectBuilder("Message bus limits.")
                 .Default("max_frame_bytes", Int(1024, 268435456), 1048576,
                          "Frames larger than this are dropped and counted.")
                 .Default("max_messages_per_s", Int(0, 100000000), 50000,
                          "Messages per second one peer may send (bursts of twice that); more are dropped and "
                          "counted. 0 means unlimited.")
                 .Build();
  auto router = ObjectBuilder("How tasks are handed to worker instances.")
                    .Default("task_timeout_ms", Int(100, 3600000), 10000,
                             "A task unanswered this long after it was sent goes to another instance that can "
                             "serve it (the first answer wins).")
                    .Default("max_in_flight_per_instance", Int(0, 1000000), 256,
                             "Tasks sent to one instance and not answered yet; more wait in the runtime's queue "
                             "(so a slow worker, e.g. an LLM, is not buried and its tasks do not time out and get "
                             "paid for twice). 0 means no limit.")
                    .Default("keep_answered_tasks", Int(16, 1073741824), 1048576,
                             "Answered tasks kept in the store (the newest, by arrival): a resubmitted task id is "
                             "answered from them, and feedback joins them. Feedback on an older task Kaizen issued "
                             "gets 410 Gone at the gateway.")
                    .Build();
  auto client = ObjectBuilder("A CURVE public key admitted to the bus, and the role its holder acts as.")
                    .Required("name", Pattern(kNamePattern, kNameWhy), "Who holds the key; unique, named in logs.")
                    .Required("role", Enum({"agent", "feedback", "admin"}),
                              "agent: an agent process (may not approve plans or command the cluster); feedback: a "
                              "person sending tasks, ratings and plan approvals; admin: the operator (everything, "
                              "including shutdown, drain, promote and rollback).")
                    .Optional("public_key", Pattern(kZ85KeyPattern, kZ85KeyWhy),
                              "The public key as `kaizen keys` prints it. Give this or public_key_file.")
                    .Optional("public_key_file", String(),
                              "A .pub (or .key) file made by `kaizen keys`; a relative path resolves against the "
                              "manifest's directory. Give this or public_key.")
                    .Build();
  auto security =
      ObjectBuilder("Transport security. See docs/security.md.")
          .Default("curve", Bool(), false,
                   "Encrypt every connection with CURVE and admit only the cluster's listed public keys.")
          .Optional("server_key", String(),
                    "The runtime's key file (from `kaizen keys`); generated there on the first `kaizen up` when "
                    "missing. A relative path resolves against the manifest's directory.",
                    "<state_dir>/keys/runtime.key")
          .Default("insecure_tcp", Bool(), false,
                   "Allow tcp:// endpoints without CURVE: anyone who can reach the port can join the cluster and "
                   "read its traffic. Without it, a tcp:// endpoint requires curve: true.")
          .Default("clients", ListOf(client), json::array(),
                   "Keys admitted besides the runtime's own: <state_dir>/keys/agent.key (role agent, used by the "
                   "agents it starts) and <state_dir>/keys/admin.key (role admin, used by the local CLI).")
          .Build();
  auto metrics = ObjectBuilder("HTTP endpoint for Prometheus: GET /metrics (text format) and GET /healthz.")
                     .Default("port", Int(0, 65535), 0, "TCP port to serve on; 0 turns the endpoint off.")
                     .Default("bind", String(), "127.0.0.1",
                              "Address to listen on; 0.0.0.0 exposes it to the network (it has no authentication).")
                     .Build();
  return ObjectBuilder("The runtime process: state, sockets, timing, logging and restart policy.")
      .Optional("state_dir", String(),
                "Directory for the journal, registry, logs and artifacts. A relative path resolves against the "
                "current directory at load time; --state-dir overrides it.",
                ".kaizen/<metadata.name>")
      .Default("endpoints", endpoints, json::object(), "Socket addresses.")
      .Default("heartbeat", heartbeat, json::object(), "Heartbeat timing.")
      .Default("bus", bus, json::object(), "Bus limits.")
      .Default("router", router, json::object(), "Task routing to worker instances.")
      .Default("shutdown_grace_ms", Int(100, 600000), 5000,
               "On shutdown, how long agents get to drain before they are killed.")
      .Default("log_level", Enum({"trace", "debug", "info", "warn", "error"}), "info",
               "Log level of the runtime and the agents.")
      .Default("launcher", Enum({"fork", "slurm"}), "fork",
               "How the runtime starts the agents whose placement is not given: fork: as its own child processes "
               "on this host; slurm: as Slurm jobs (spec.slurm), tracked by job id, restarted by the restart "
               "policy, cancelled on `kaizen down`.")
      .Default("restart", RestartSchema(false), json::object(), "Default restart policy of every agent.")
      .Default("security", security, json::object(), "Security settings.")
      .Default("metrics", metrics, json::object(), "Metrics endpoint (off unless a port is set).")
      .Build();
}

SchemaPtr SlurmSchema() {
  return ObjectBuilder("The Slurm cluster that agents with placement slurm and the slurm training backend run on "
                       "(docs/distributed.md). Slurm's commands (sbatch, squeue, scontrol, scancel) must be on the "
                       "runtime's and the training agent's PATH, and find the cluster as a user's shell does "
                       "(SLURM_CONF).")
      .Default("partition", String(), "", "Partition jobs go to (--partition); empty: the cluster's default.")
      .Default("account", String(), "", "Account jobs are charged to (--account); empty: the user's default.")
      .Default("time_limit", String(), "",
               "Time limit of an agent's job (--time, e.g. 1-00:00:00); empty: the partition's. A job that ends at "
               "its limit is submitted again by the restart policy.")
      .Default("poll_interval_ms", Int(100, 600000), 1000, "How often job states are read (squeue/scontrol).")
      .Default("extra_args", ListOf(String()), json::array(), "More sbatch options, passed as they are (e.g. --qos=high).")
      .Build();
}

SchemaPtr DataSchema() {
  auto entry = ObjectBuilder("One data set.")
                   .Required("path", String(),
                             "The file; a relative path resolves against the manifest's directory. It must exist.")
                   .Default("format", Enum({"jsonl"}), "jsonl", "File format: one JSON example per line.")
                   .Build();
  return MapOf(entry, kDatasetPattern, kDatasetWhy);
}

// An OpenAI-compatible chat completions endpoint (agents/models/llm/chat_client.h).
SchemaPtr OpenAiSchema() {
  return ObjectBuilder("An OpenAI-compatible chat completions endpoint: vLLM, llama.cpp server, Ollama or a hosted API "
                       "(docs/backends.md).")
      .Required("base_url", Pattern("https?://.+", "http://HOST:PORT/v1 or https://..."),
                "The API root including /v1; /chat/completions is appended.")
      .Required("model", String(), "The model name sent with each request.")
      .Optional("api_key_env", Pattern("[A-Za-z_][A-Za-z0-9_]*", "an environment variable name"),
                "The NAME of the environment variable holding the API key (the key itself never goes in the "
                "manifest, the journal or the logs); sent as a Bearer token.",
                "no key sent")
      .Default("temperature", Double(0.0, 2.0), 0.0, "Sampling temperature.")
      .Default("max_tokens", Int(1, 1000000), 256, "Longest reply, in tokens.")
      .Default("json_response", Bool(), false, "Ask for a JSON object reply (response_format json_object).")
      .Default("timeout_ms", Int(1, 3600000), 30000, "Per-attempt limit on a request.")
      .Default("connect_timeout_ms", Int(1, 600000), 5000, "Limit on connecting.")
      .Default("max_retries", Int(0, 100), 3,
               "Retries after a 429, a 5xx, a connection error, a timeout or an unreadable reply.")
      .Default("backoff_initial_ms", Int(0, 3600000), 200,
               "Retry wait: uniform in [0, min(backoff_max_ms, backoff_initial_ms * 2^retry)] (full jitter).")
      .Default("backoff_max_ms", Int(0, 3600000), 10000, "Upper bound of the retry wait.")
      .Default("retry_after_max_ms", Int(0, 86400000), 60000,
               "A server's Retry-After (seconds or HTTP date) replaces the backoff, cut to this.")
      .Default("max_concurrency", Int(1, 1024), 4, "Requests in flight at once, at most.")
      .Default("rate_limit_per_s", Double(0.0, std::nullopt), 0.0,
               "Requests started per second, at most (token bucket); 0 means unlimited.")
      .Default("price_per_1k_prompt_tokens", Double(0.0, std::nullopt), 0.0, "Money per 1000 prompt tokens.")
      .Default("price_per_1k_completion_tokens", Double(0.0, std::nullopt), 0.0,
               "Money per 1000 completion tokens.")
      .Build();
}

// The initial prompt of an LLM skill (agents/models/llm/prompt_model.h).
SchemaPtr PromptSchema() {
  auto example = ObjectBuilder("A few-shot example.")
                     .Required("input", String(), "The input text.")
                     .Required("output", String(), "The answer: a label, or free text for task text.")
                     .Build();
  return ObjectBuilder("The prompt an openai backend starts from; the prompt trainer improves it.")
      .Default("task", Enum({"label", "text"}), "label",
               "label: answer one label of the label set (parsed from {\"label\": ...} or a bare label); text: "
               "free text.")
      .Default("system_prompt", String(), "", "The system prompt (instructions).")
      .Default("labels", ListOf(String(), 0, true), json::array(),
               "The labels allowed; empty: the labels of the skill's train data (and of the examples).")
      .Default("examples", ListOf(example), json::array(), "Few-shot examples, in order.")
      .Default("shots", Int(0, 1000), 0,
               "Few-shot examples added from the skill's train data (one per label in turn), after `examples`.")
      .Build();
}

SchemaPtr WorkerSchema() {
  auto skill = ObjectBuilder("The skill backend that answers tasks.")
                   .Default("backend", Enum({"builtin-classifier", "openai"}), "builtin-classifier",
                            "builtin-classifier: the fast built-in text classifier; openai: an OpenAI-compatible "
                            "chat completions server.")
                   .Optional("train", TrainSchema("Training data of the initial model.", "train"),
                             "Data the initial model is trained on; required for builtin-classifier. For openai: "
                             "the label set and few-shot pool of the initial prompt.")
                   .Optional("openai", OpenAiSchema(), "The endpoint; required with backend openai.")
                   .Default("prompt", PromptSchema(), json::object(), "backend openai: the initial prompt.")
                   .Build();
  auto defer =
      ObjectBuilder("Serve-time deferral: the worker hands its least confident answers to a teacher, within a budget "
                    "(docs/cycle.md, \"Deferring to the teacher\"). builtin-classifier workers only.")
          .Default("enabled", Bool(), false,
                   "Defer low-confidence tasks to the teacher; the teacher's answer is served and tagged `deferred`.")
          .Default("max_share", Double(0.0, 1.0), 0.25,
                   "The most of the tasks that may be deferred: a task is deferred when the worker's confidence is "
                   "below the max_share-quantile of the last `window` confidences, and never so that more than this "
                   "share of the last `window` tasks went to the teacher.")
          .Default("max_cost_per_hour", Double(0.0, std::nullopt), 0.0,
                   "Teacher spend per hour, at most (a token bucket holding up to a minute of it; an LLM teacher is "
                   "charged its mean cost per call so far). 0: no cost cap beyond max_share. Each worker instance "
                   "(the clone too) has its own budget.")
          .Default("teacher", String(), "",
                   "Name of the teacher in spec.teachers to defer to; empty: the first teacher.")
          .Default("window", Int(10, 100000), 2000,
                   "How many recent confidences set the threshold (and the share); no task is deferred before "
                   "min(window, 50) have been seen.")
          .Build();
  return RoleSection("worker", "The worker: serves tasks with a skill; the agent that gets improved.")
      .Default("replicas", Int(1, 64), 1,
               "Worker processes serving the same model version; the router gives each task to the one with the "
               "fewest unanswered tasks, and a lost one's tasks go to the others. Ids: <id>, <id>-2, <id>-3, ...")
      .Default("clone_replicas", Int(1, 64), 1,
               "Processes of the clone that serves while the worker is improved (ids <id>-clone, <id>-clone-2, "
               "...); during the A/B test the candidate arm has the worker's replicas.")
      .Default("during_improvement", Enum({"clone", "pause"}), "clone",
               "clone: a clone of the worker keeps serving while it is improved; pause: tasks wait.")
      .Default("skill", skill, json::object(), "The worker's skill.")
      .Default("defer", defer, json::object(), "Serve-time deferral to a teacher.")
      .Build();
}

SchemaPtr TeacherSchema() {
  return ObjectBuilder("A teacher: a stronger model or a person who labels inputs, at a cost.")
      .Required("name", Pattern(kNamePattern, kNameWhy), "Unique name of the teacher.")
      .Default("backend", Enum({"builtin-classifier", "openai"}), "builtin-classifier", "The teacher's backend.")
      .Optional("train", TrainSchema("Training data of a builtin-classifier teacher.", "train"),
                "Data the teacher is trained on; required for builtin-classifier. For openai: the label set and "
                "few-shot pool of its prompt.")
      .Optional("openai", OpenAiSchema(),
                "The endpoint; required with backend openai. The teacher's max_concurrency and rate_limit_per_s "
                "also bound it; cost = cost_per_call + token prices.")
      .Default("prompt", PromptSchema(), json::object(), "backend openai: the teacher's prompt.")
      .Default("cost_per_call", Double(0.0, std::nullopt), 0.001, "Money charged per labeled input.")
      .Default("max_concurrency", Int(1, 1024), 8, "Calls in flight at once, at most.")
      .Default("rate_limit_per_s", Double(0.0, std::nullopt), 0.0, "Calls per second, at most; 0 means unlimited.")
      .Default("noise", Double(0.0, 1.0), 0.0,
               "Fraction of answers replaced by a random label (to test a bad teacher).")
      .Build();
}

SchemaPtr TriggerSchema() {
  auto variant = [](const char* policy, const char* doc) {
    ObjectBuilder b(doc);
    b.Required("policy", Enum({policy}), "Which trigger policy this is.");
    return b;
  };
  auto schedule = variant("schedule", "Improve on a fixed schedule.")
                      .Required("every_s", Int(1, 365 * kDay), "Seconds between improvement cycles.")
                      .Build();
  auto performance =
      variant("performance", "Improve when the quality of the served answers drops.")
          .Default("detector", Enum({"cusum", "window"}), "cusum",
                   "cusum: Bernoulli CUSUM on the thumbs-down rate; window: accuracy of the last `window` "
                   "tasks below `threshold`.")
          .Default("false_alarm_rate", Double(0.0, 0.5, true), 0.000001,
                   "cusum: false alarms per rated task under no change (measured, not a bound); the detection "
                   "threshold is calibrated to it when the baseline is learnt.")
          .Default("min_shift", Double(0.0, 1.0, true), 0.1,
                   "cusum: the smallest rise of the thumbs-down rate worth detecting.")
          .Default("baseline_margin_se", Double(0.0, 10.0), 2.0,
                   "cusum: the baseline p0 is set this many standard errors above the down rate learnt from "
                   "the ratings, so a low estimate does not multiply the false alarms; 0 trusts the estimate "
                   "(quicker detection of small rises, false alarms above false_alarm_rate).")
          .Default("window", Int(10, 1000000), 200, "window: number of recent tasks considered.")
          .Default("threshold", Double(0.0, 1.0), 0.7, "window: trigger when accuracy over the window falls below.")
          .Default("warmup_tasks", Int(0, 10000000), 200,
                   "Tasks observed to learn the baseline before the detector may trigger.")
          .Build();
  auto roi = variant("roi", "Improve when the expected gain is worth the cost.")
                 .Default("horizon_tasks", Int(1, 1000000000), 10000, "Coming tasks over which a gain is counted.")
                 .Default("value_per_correct", Double(0.0, std::nullopt), 0.01, "Money one more correct answer is worth.")
                 .Default("min_gain", Double(0.0, 1.0), 0.05,
                          "Smallest expected accuracy gain worth a cycle; expected value must also exceed its cost.")
                 .Build();
  return Union("policy", "A trigger: when to start an improvement cycle; `policy` selects the kind.",
               {{"schedule", schedule}, {"performance", performance}, {"roi", roi}});
}

SchemaPtr FollowUpSchema() {
  return ObjectBuilder(
             "Follow-up rounds: after a cycle that a performance trigger started is promoted, another cycle when the "
             "new version is still clearly below the level before the change and the round pays for itself "
             "(docs/cycle.md, \"Follow-up rounds\").")
      .Default("enabled", Bool(), false, "Measure each promoted version against the level before the change.")
      .Default("min_gap", Double(0.0, 1.0), 0.03,
               "Smallest rise of the thumbs-down rate, against the level before the change, worth another round; the "
               "rise must also exceed 1.645 standard errors of the two rates (not noise).")
      .Default("max_rounds", Int(1, 10), 1, "Follow-up cycles after the first, at most, per change.")
      .Default("samples", Int(50, 1000000), 500, "Rated answers of the promoted version the decision is made on.")
      .Default("horizon_tasks", Int(1, 1000000000), 10000, "Coming tasks over which the expected gain is counted.")
      .Default("value_per_correct", Double(0.0, std::nullopt), 0.01,
               "Money one more correct answer is worth; gap x horizon_tasks x value_per_correct must exceed a round's "
               "teacher cost (planning.teacher_budget.max_calls x the first teacher's cost_per_call).")
      .Build();
}

SchemaPtr MonitoringSchema() {
  return RoleSection("monitoring", "Monitoring: watches results and feedback; decides when to improve.")
      .Default("cooldown_s", Int(0, 7 * kDay), 60, "Least time between the end of a cycle and the next trigger.")
      .Default("triggers", ListOf(TriggerSchema()), json::array({{{"policy", "performance"}}}),
               "Trigger policies, all active at once; empty means improve only on demand.")
      .Default("follow_up", FollowUpSchema(), json::object(), "Another round when one cycle was not enough.")
      .Build();
}

// spec.planning.bounds.parameter_ranges: {min, max} per knob (either may be left out).
SchemaPtr ParameterRangesSchema() {
  auto range = [](const char* what) {
    return ObjectBuilder(std::string("Allowed values of ") + what + ", inclusive.")
        .Optional("min", Double(std::nullopt, std::nullopt), "Least value.", "no lower bound")
        .Optional("max", Double(std::nullopt, std::nullopt), "Greatest value.", "no upper bound")
        .Build();
  };
  return ObjectBuilder("Ranges of the knobs strategies set (docs/safety.md).")
      .Optional("teacher_calls", range("a plan's teacher calls"), "Teacher calls per plan.", "no range")
      .Optional("epochs", range("training epochs"), "training.epochs.", "no range")
      .Optional("replay_fraction", range("the replayed share of old data"), "training.replay_fraction.", "no range")
      .Optional("shots", range("few-shot examples in a candidate prompt"),
                "Few-shot examples in a candidate prompt (training.prompt.shots bounds the search).", "no range")
      .Optional("rewrites", range("instruction rewrites"), "training.prompt.rewrites.", "no range")
      .Optional("temperature", range("the worker's sampling temperature"), "worker.skill.openai.temperature.",
                "no range")
      .Build();
}

SchemaPtr PlanningSchema() {
  auto auto_approve = ObjectBuilder("Plans within these bounds start without a human approval.")
                          .Default("max_teacher_calls", Int(0, 1000000000), 2000, "Teacher calls, at most.")
                          .Default("max_cost", Double(0.0, std::nullopt), 10.0, "Money, at most.")
                          .Default("max_significance", Double(0.0, std::nullopt), 1.0,
                                   "Significance score, at most (size of the change, spend against these limits, "
                                   "new capabilities; docs/safety.md). 1: every plan within the limits above.")
                          .Build();
  auto budget = ObjectBuilder("Upper bounds on what one plan may spend on teachers.")
                    .Default("max_calls", Int(0, 1000000000), 2000, "Teacher calls per cycle, at most.")
                    .Default("max_cost", Double(0.0, std::nullopt), 5.0, "Money per cycle, at most.")
                    .Build();
  auto acceptance = ObjectBuilder("What a candidate must achieve to be accepted.")
                        .Default("min_accuracy_gain", Double(0.0, 1.0), 0.02,
                                 "Least accuracy gain over the incumbent on validation data.")
                        .Default("max_category_regression", Double(0.0, 1.0), 0.05,
                                 "Largest accuracy drop allowed in any one category.")
                        .Build();
  auto bounds =
      ObjectBuilder("What Kaizen may change about the serving agent, checked by planning before it plans and again by "
                    "the runtime on every trigger and plan (docs/safety.md).")
          .Default("allowed_strategies",
                   ListOf(Enum({"teacher_samples", "human_demonstrations", "prompt_optimization", "few_shot",
                                "dynamic_examples", "reflection", "tool_creation"}),
                          0, true),
                   json::array({"teacher_samples", "human_demonstrations", "prompt_optimization", "few_shot",
                                "dynamic_examples", "reflection"}),
                   "Strategies a plan may use at all; a plan with another is refused. tool_creation (tools the "
                   "agent writes and runs in a sandbox) is a new capability and allowed only when listed here.")
          .Default("prohibited_modifications",
                   ListOf(Enum({"weights", "instructions", "examples", "tools", "memory", "base_model"}), 0, true),
                   json::array(),
                   "Parts of the serving agent no cycle may change: weights (a classifier retrained), instructions "
                   "and examples (an LLM prompt: training backend prompt changes both), tools, memory, base_model. "
                   "A plan whose strategy changes one is refused.")
          .Default("max_cycles_per_day", Int(0, 10000), 0,
                   "Cycles that may start in any 24 hours; a trigger beyond is ignored and says when the next may "
                   "start. 0: no limit.")
          .Optional("max_prompt_change", Double(0.0, std::nullopt),
                    "Share of an LLM worker's prompt (token edit distance over the length of the prompt changed "
                    "from: instructions, label list and few-shot examples) a candidate may change against the "
                    "version it replaces.",
                    "no limit")
          .Optional("max_drift_from_anchor", Double(0.0, std::nullopt),
                    "The same share measured against the anchor version (the first model, or the one `kaizen anchor "
                    "set` pinned), so that many small cycles cannot walk the prompt away from what was approved.",
                    "no limit")
          .Default("parameter_ranges", ParameterRangesSchema(), json::object(),
                   "Ranges for the knobs a plan or a trainer sets; a plan or a candidate outside one is refused.")
          .Build();
  return RoleSection("planning", "Planning: decides how to improve, within bounds.")
      .Default("backend", Enum({"rules", "openai"}), "rules",
               "rules: the rule planner; openai: an LLM chooses teacher calls, selection policy and focus within "
               "the rule planner's bounds (the rule plan is used when the LLM fails).")
      .Optional("openai", OpenAiSchema(), "backend openai: the planner LLM's endpoint.")
      .Default("max_replans", Int(0, 10), 1, "New plans after a candidate fails evaluation, at most.")
      .Default("auto_approve", auto_approve, json::object(), "Auto-approval bounds.")
      .Default("approval_timeout_s", Int(1, 7 * kDay), 600, "How long a plan waits for a human approval.")
      .Default("approval_timeout_policy", Enum({"reject", "approve", "wait"}), "reject",
               "What happens when the approval times out.")
      .Default("strategies",
               ListOf(Enum({"teacher_samples", "human_demonstrations", "prompt_optimization", "few_shot",
                            "dynamic_examples", "reflection", "tool_creation"}),
                      1, true),
               json::array({"teacher_samples"}),
               "Strategies the planner may choose from, in order of preference (the rule planner takes the first "
               "of teacher_samples, human_demonstrations, dynamic_examples, reflection and tool_creation that "
               "applies; the last three apply to an LLM worker (training backend prompt) only, and tool_creation "
               "only when a category is failed on at least half of its recent ratings with 95% confidence. Each "
               "of them first buys the teacher's answers to the failures: the pool of dynamic_examples, what the "
               "critic of reflection reads, the tests of tool_creation; docs/strategies.md).")
      .Optional("critic", OpenAiSchema(),
                "reflection: the model that writes lessons from the failures (an OpenAI-compatible endpoint).",
                "the teacher (training.prompt.teacher, else the first openai teacher)")
      .Default("selection_policy", Enum({"failures_first", "low_confidence_stratified", "random"}), "failures_first",
               "Which inputs datagen asks the teacher about first: failures_first (thumbs-down, then low confidence, "
               "round-robin across categories), low_confidence_stratified (lowest confidence first, across predicted "
               "labels) or random (a seeded shuffle: the baseline the others are measured against). A replan moves "
               "to the next policy.")
      .Default("human_labels", Int(1, 100000), 20,
               "Labels a human_demonstrations plan asks people for (through `kaizen feedback`).")
      .Default("teacher_budget", budget, json::object(), "Teacher budget per cycle.")
      .Default("acceptance", acceptance, json::object(), "Acceptance metrics.")
      .Default("bounds", bounds, json::object(), "Limits on what cycles may change.")
      .Build();
}

SchemaPtr DatagenSchema() {
  return RoleSection("datagen", "Data generation: asks teachers and writes versioned datasets.")
      .Default("concurrency", Int(1, 1024), 8, "Teacher requests in flight at once, at most.")
      .Default("validation_fraction", Double(0.0, 0.9), 0.2, "Fraction of new examples held out for validation.")
      .Default("dedupe", Bool(), true, "Drop duplicate inputs.")
      .Default("inputs_since", Enum({"change", "start"}), "change",
               "Which answered tasks the selection draws on. change: from where the performance trigger dates the "
               "change (the first answer after its CUSUM last stood at 0), so failures from before it - old mistakes "
               "and rating noise, mostly not what changed - do not take the teacher budget; a trigger that dates no "
               "change (schedule, roi) selects from the start. start: every task in the journal.")
      .Default("collect_timeout_s", Int(0, kDay), 60,
               "How long a data request waits for enough thumbs-down or low-confidence inputs to reach the "
               "plan's teacher calls; then it labels what there is.")
      .Default("carry_labels", Bool(), true,
               "Add the rows of the dataset that made the version being improved (and so of its whole lineage) to "
               "the new dataset as training rows (the verdict stays on the new rows, which no version has seen), so the next fine-tune does not forget what earlier cycles "
               "bought; inputs already labelled there are not sent to the teacher again. Teacher and correction "
               "datasets; a human_demonstrations dataset holds its own labels only.")
      .Build();
}

SchemaPtr TrainingSchema() {
  auto prompt =
      ObjectBuilder("prompt backend: how candidate prompts are proposed and scored (docs/backends.md).")
          .Optional("teacher", Pattern(kNamePattern, kNameWhy),
                    "The teacher (an entry of spec.teachers with backend openai) that rewrites the instructions "
                    "from the failures.",
                    "the first teacher with backend openai; none: no rewrites")
          .Default("rewrites", Int(0, 20), 2, "Instruction rewrites asked of the teacher, each scored as a candidate.")
          .Default("few_shot_sets", Int(0, 20), 2,
                   "Few-shot sets chosen from the new dataset (failing labels first), each scored as a candidate.")
          .Default("shots", Int(0, 10000), 8,
                   "Examples in a few-shot set, at most (mind the model's context window).")
          .Default("max_validation_rows", Int(1, 1000000), 200,
                   "Validation rows each candidate is scored on, at most (each row is one call to the worker's "
                   "model).")
          .Default("max_failures_shown", Int(1, 1000), 20,
                   "Failures shown to the teacher in a rewrite request, a tool request (tool_creation), or to the "
                   "critic per category (reflection).")
          .Default("retrieved_examples", Int(1, 100), 8,
                   "dynamic_examples: examples retrieved per input, at most (k); candidates with k and k/2 are "
                   "scored. Reported as the shots parameter.")
          .Default("lessons_per_input", Int(1, 50), 4, "reflection: lessons put in the prompt per input, at most.")
          .Default("max_lessons", Int(1, 10000), 20, "reflection: lessons in the memory, at most (the least cited go first).")
          .Default("max_memory_tokens", Int(1, 1000000), 400,
                   "reflection: words of all lessons together, at most (the least cited go first).")
          .Default("max_lesson_tokens", Int(1, 1000), 60, "reflection: words of one lesson, at most (a longer one is refused).")
          .Build();
  auto slurm =
      ObjectBuilder("slurm backend: the batch job a training run is (docs/distributed.md). The state directory "
                    "must be on a filesystem the job's node shares: the job reads the dataset and writes the model "
                    "there.")
          .Default("trainer", Enum({"builtin", "command"}), "builtin",
                   "What the job runs: builtin: `kaizen train-model`; command: spec.training.command.")
          .Default("cpus", Int(1, 4096), 1, "CPUs for the job (--cpus-per-task).")
          .Default("mem", Pattern(kMemPattern, kMemWhy), "", "Memory for the job (--mem); empty: Slurm's default.")
          .Default("gres", String(), "", "Generic resources (--gres), e.g. gpu:1; empty: none.")
          .Default("time_limit", String(), "",
                   "The job's --time; empty: timeout_s rounded up to minutes. A job Slurm ends at its limit fails "
                   "the run.")
          .Build();
  return RoleSection("training", "Training: turns a base model and a dataset into a candidate model.")
      .Default("backend", Enum({"builtin", "command", "prompt", "slurm"}), "builtin",
               "builtin: the built-in classifier trainer; command: an external command; prompt: prompt and "
               "few-shot search for LLM workers; slurm: the trainer named in slurm.trainer runs as a Slurm batch "
               "job (spec.slurm).")
      .Optional("command", String(),
                "command backend: the command run by /bin/sh -c; placeholders {base_model} {base_version} {dataset} "
                "{train} {validation} {output_dir} {output_version} {work_dir} {epochs} {cycle_id} are replaced by "
                "quoted paths and values. It writes one model file into {output_dir} and may print progress and "
                "result lines (docs/backends.md).",
                "required with backend: command")
      .Default("replay_fraction", Double(0.0, 1.0), 0.5,
               "Share of old training data mixed into the new, so old skills are not forgotten.")
      .Default("epochs", Int(1, 1000), 5, "Passes over the training data.")
      .Default("refit", Bool(), true,
               "builtin backend: train twice. The candidate that evaluation judges is trained without the dataset's "
               "validation rows (so its verdict is on unseen rows); the model that is deployed is the same recipe "
               "refitted on every row, validation included, so no label bought is left unused. Evaluation checks "
               "the refit too, and the A/B test judges it on live traffic. false: the judged model is deployed.")
      .Default("timeout_s", Int(1, 7 * kDay), 600,
               "A training run taking longer is stopped (its process group killed) and fails.")
      .Default("retries", Int(0, 10), 1,
               "A trainer process killed by a signal it did not ask for (OOM killer, an operator's kill) is "
               "started again from scratch this many times; a trainer that exits with an error is not retried.")
      .Default("prompt", prompt, json::object(), "Settings of the prompt backend.")
      .Default("slurm", slurm, json::object(), "Settings of the slurm backend.")
      .Build();
}

SchemaPtr EvaluationSchema() {
  return RoleSection("evaluation", "Evaluation: benchmarks the candidate against the incumbent.")
      .Default("confidence", Double(0.5, 1.0, false, true), 0.95, "Confidence level of the reported intervals.")
      .Default("paired_test", Enum({"mcnemar"}), "mcnemar", "Paired significance test on the same examples.")
      .Optional("judge",
                ObjectBuilder("An LLM judge: scores free-text answers against the reference, 0 to 1.")
                    .Required("openai", OpenAiSchema(), "The judge's endpoint.")
                    .Default("system_prompt", String(),
                             "You are a strict judge. Score how well the Answer matches the Reference for the Input, "
                             "from 0 (wrong) to 1 (equivalent). Reply with JSON: {\"score\": <number>}.",
                             "The judge's instructions.")
                    .Default("pass_score", Double(0.0, 1.0), 0.5, "A score at least this counts as a correct answer.")
                    .Build(),
                "Judge of free-text tasks (worker.skill.prompt.task: text).", "none: exact match")
      .Optional("constitution",
                ObjectBuilder("A named set of cases the worker must keep answering as written (docs/safety.md). "
                              "Evaluation runs every case on the incumbent and the candidate; a case the incumbent "
                              "passes and the candidate fails blocks the promotion, whatever the accuracy gain.")
                    .Required("name", Pattern(kNamePattern, kNameWhy), "Its name in reports and verdicts.")
                    .Required("path", String(),
                              "JSON Lines file, one case a line: {\"id\"?, \"input\", exactly one of \"label\" "
                              "(the answer it must keep), \"refuse\": true (it must refuse), \"must_contain\" "
                              "(a required string) or \"must_not_contain\" (a forbidden string), and \"grader\"? "
                              "(exact or judge)}; ids default to the line number. Relative paths resolve against "
                              "the manifest's directory; `kaizen validate` checks every line.")
                    .Default("refusal_label", String(), "oos",
                             "The answer that refuses an input as out of scope (a classifier's or LLM label "
                             "worker's out-of-scope label).")
                    .Default("grader", Enum({"exact", "judge"}), "exact",
                             "How refuse, must_contain and must_not_contain cases are graded when the case names no "
                             "grader. exact: must_contain and must_not_contain look for the string itself "
                             "(case-insensitive), a free-text refusal must contain one of refusal_phrases. judge: spec.evaluation.judge decides (needs it). "
                             "Label answers are always compared exactly.")
                    .Default("refusal_phrases", ListOf(String(), 1),
                             json::array({"I can't", "I cannot", "I won't", "I'm sorry", "I am sorry", "unable to"}),
                             "A free-text answer containing one of these (case-insensitive) is a refusal, when "
                             "graded exactly.")
                    .Build(),
                "Cases the candidate must not lose.", "no constitution gate")
      .Build();
}

SchemaPtr DeploymentSchema() {
  auto guardrails = ObjectBuilder("Limits that roll a candidate back at once.")
                        .Default("max_error_rate", Double(0.0, 1.0), 0.05, "Largest share of tasks answered with an error.")
                        .Build();
  return RoleSection("deployment", "Deployment: A/B rollout of the candidate; promotes or rolls back.")
      .Default("steps", ListOf(Double(0.0, 1.0, true), 1), json::array({0.1, 0.5}),
               "Candidate traffic shares, each in (0, 1] and increasing; promotion takes it to 1.")
      .Default("alpha", Double(0.0, 0.5, true), 0.05, "Significance level of the sequential test.")
      .Default("min_samples_per_step", Int(1, 10000000), 200, "Feedback samples per arm before leaving a step.")
      .Default("max_samples", Int(1, 1000000000), 20000, "Stop the test (and keep the incumbent) after this many.")
      .Default("guardrails", guardrails, json::object(), "Guardrails.")
      .Default("require_approval", Bool(), false,
               "A human must approve the promotion: after a successful A/B test the cycle waits at "
               "awaiting_approval (kaizen approve|reject).")
      .Default("approval_timeout_s", Int(1, 7 * kDay), 3600, "How long a promotion waits for a human approval.")
      .Default("approval_timeout_policy", Enum({"reject", "approve", "wait"}), "reject",
               "What happens when the promotion's approval times out: reject rolls back, approve promotes, wait "
               "waits on.")
      .Build();
}

SchemaPtr GatewaySchema() {
  auto listen = Pattern(R"((\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5})",
                        "HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 (an IPv6 host in brackets)");
  return RoleSection("gateway",
                     "HTTP gateway: applications send tasks (OpenAI chat completions or Kaizen's own shape) and "
                     "feedback over HTTP/1.1 (docs/gateway.md). Off when the section is absent.")
      .Default("replicas", Int(1, 64), 1,
               "Gateway processes; they share the listen port (SO_REUSEPORT), the kernel spreads connections. "
               "Ids: <id>, <id>-2, <id>-3, ...")
      .Default("listen", listen, "127.0.0.1:8080", "Address the gateway binds.")
      .Optional("model", Pattern(R"([A-Za-z0-9][A-Za-z0-9._:/-]{0,127})", "letters, digits and ._:/- (up to 128)"),
                "The model name clients send in `model` (and see in GET /v1/models).", "metadata.name")
      .Optional("api_keys_file", String(),
                "File of API key names and SHA-256 hashes (`kaizen keys gateway NAME --file F` adds one); "
                "requests need `Authorization: Bearer KEY`. Relative paths resolve against the manifest's "
                "directory.",
                "no keys: the gateway takes any request and listen must be a loopback address")
      .Default("rate_limit_per_s", Double(0.0, 1e9), 1000.0,
               "Requests per second one API key may send (bursts of twice that); more get 429 with Retry-After. "
               "Without api_keys_file all requests share one budget. 0 means unlimited.")
      .Default("max_body_bytes", Int(1024, 268435456), 1048576, "Larger request bodies get 413.")
      .Default("request_timeout_ms", Int(100, 3600000), 30000,
               "A task not answered by then gets 504; it still runs, and a retry with the same Idempotency-Key "
               "gets its answer.")
      .Default("threads", Int(1, 4096), 64,
               "HTTP connections served at once per gateway process (keep-alive connections hold one each).")
      .Build();
}

SchemaPtr SimulatorSchema() {
  return RoleSection("simulator", "Simulated users: tasks from a data set, and feedback on the answers.")
      .Required("dataset", Pattern(kDatasetPattern, kDatasetWhy), "Name of an entry of spec.data.")
      .Default("split", String(), "test", "Which split(s) tasks are drawn from; several separated by commas, e.g. val,test.")
      .Default("rate_per_s", Double(0.0, 100000.0, true), 200.0, "Tasks per second.")
      .Default("total_tasks", Int(1, 1000000000), 12000, "Tasks sent in all.")
      .Default("drift_at_task", Int(0, 1000000000), 4000, "Task number at which traffic drifts.")
      .Default("before_drift_domains", ListOf(String(), 0, true), json::array(),
               "Domains drawn from before the drift; empty means all.")
      .Default("after_drift_domains", ListOf(String(), 0, true), json::array(),
               "Domains drawn from after the drift; empty means all.")
      .Default("feedback_rate", Double(0.0, 1.0), 1.0, "Share of answers the simulated users rate.")
      .Default("feedback_noise", Double(0.0, 1.0), 0.05, "Share of ratings that are wrong.")
      .Default("rating", Enum({"exact", "overlap"}), "exact",
               "How users judge an answer: exact: it is the label; overlap (free text): its words overlap the "
               "reference reply's with an F1 of at least overlap_pass.")
      .Default("overlap_pass", Double(0.0, 1.0), 0.5, "rating overlap: the least word-overlap F1 a user accepts.")
      .Default("seed", Int(0, INT64_MAX), 7, "Random seed.")
      .Default("users", Int(1, 100000000), 1000,
               "Distinct simulated users; each task carries its user as routing key (A/B arms are sticky per user).")
      .Default("tasks_after_cycle", Int(0, 1000000000), 2000,
               "After an improvement cycle ends, keep sending at least this many tasks (to measure the result).")
      .Default("max_tasks", Int(0, 1000000000), 0,
               "Hard cap on tasks while a cycle is still running after total_tasks; 0 means 4 x total_tasks.")
      .Default("via", Enum({"bus", "gateway"}), "bus",
               "bus: tasks and ratings as bus messages; gateway: HTTP requests to spec.gateway (POST /v1/tasks "
               "and /v1/feedback), the path a real application takes.")
      .Optional("gateway_url", Pattern("https?://.+", "an http:// or https:// URL"),
                "via gateway: the gateway's base URL.", "http://<spec.gateway.listen>")
      .Optional("api_key_file", String(),
                "via gateway: a file holding the plain API key to send (when spec.gateway.api_keys_file is set).",
                "no key")
      .Default("max_in_flight", Int(1, 100000), 256, "via gateway: HTTP requests outstanding at once, at most.")
      .Default("gateway_route", Enum({"tasks", "chat_completions"}), "tasks",
               "via gateway: where tasks go. tasks: POST /v1/tasks; chat_completions: POST /v1/chat/completions "
               "in OpenAI's shape (model spec.gateway.model, the input as the user message, the domain in "
               "metadata), the answer from choices[0].message.content.")
      .Default("stream", Bool(), false,
               "via gateway, gateway_route chat_completions only: ask for server-sent events and read the "
               "answer from the chunks up to data: [DONE]; a stream that ends before it is tried again with "
               "the same Idempotency-Key.")
      .Default("stop_cluster_at_end", Bool(), true,
               "When the scenario ends, `kaizen up` in the foreground prints the summary and stops the cluster.")
      .Build();
}

SchemaPtr BuildManifestSchema() {
  auto metadata = ObjectBuilder("Identifies the cluster.")
                      .Required("name", Pattern(kNamePattern, kNameWhy), "Name of the cluster.")
                      .Default("labels", MapOf(String()), json::object(), "Free-form labels, name to string.")
                      .Build();
  auto spec = ObjectBuilder("The cluster: runtime, data, agents and teachers.")
                  .Default("runtime", RuntimeSchema(), json::object(), "The runtime.")
                  .Default("data", DataSchema(), json::object(), "Data sets by name.")
                  .Required("worker", WorkerSchema(), "The worker agent.")
                  .Default("teachers", ListOf(TeacherSchema()), json::array(), "Teachers; may be empty.")
                  .Default("monitoring", MonitoringSchema(), json::object(), "The monitoring agent.")
                  .Default("planning", PlanningSchema(), json::object(), "The planning agent.")
                  .Default("datagen", DatagenSchema(), json::object(), "The data generation agent.")
                  .Default("training", TrainingSchema(), json::object(), "The training agent.")
                  .Default("evaluation", EvaluationSchema(), json::object(), "The evaluation agent.")
                  .Default("deployment", DeploymentSchema(), json::object(), "The deployment agent.")
                  .Optional("gateway", GatewaySchema(), "The HTTP gateway.", "no gateway")
                  .Default("slurm", SlurmSchema(), json::object(), "The Slurm cluster, when one is used.")
                  .Optional("simulator", SimulatorSchema(), "Simulated traffic.", "no simulated traffic")
                  .Build();
  return ObjectBuilder("A Kaizen cluster manifest.")
      .Required("apiVersion", Enum({kApiVersion}), "Version of the manifest format.")
      .Required("kind", Enum({kKind}), "Kind of object.")
      .Required("metadata", metadata, "Name and labels.")
      .Required("spec", spec, "The cluster.")
      .Build();
}

}  // namespace

const Schema& ManifestSchema() {
  static const SchemaPtr schema = BuildManifestSchema();
  return *schema;
}

const nlohmann::json& SchemaDefault(const std::string& dotted_path) {
  const Schema* node = &ManifestSchema();
  const Field* field = nullptr;
  std::size_t from = 0;
  while (from <= dotted_path.size()) {
    const std::size_t dot = dotted_path.find('.', from);
    std::string key = dotted_path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    // "teachers[]": into the schema of the list's items.
    const bool item = key.size() > 2 && key.compare(key.size() - 2, 2, "[]") == 0;
    if (item) key.resize(key.size() - 2);
    field = node ? node->FindField(key) : nullptr;
    if (!field) throw std::logic_error("the manifest schema has no key " + dotted_path);
    node = field->schema.get();
    if (item) {
      if (node->type != SchemaType::kList || !node->element) {
        throw std::logic_error("the manifest schema's " + key + " is no list (in " + dotted_path + ")");
      }
      if (dot == std::string::npos) throw std::logic_error("a list item has no default: " + dotted_path);
      node = node->element.get();
    }
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  if (field->presence != Field::Presence::kDefault) {
    throw std::logic_error("the manifest schema gives " + dotted_path + " no default");
  }
  return field->default_value;
}

nlohmann::json SettingOrDefault(const nlohmann::json& section, const std::string& section_path,
                                const std::string& key) {
  if (section.is_object()) {
    if (auto v = section.find(key); v != section.end() && !v->is_null()) return *v;
  }
  return SchemaDefault(section_path + "." + key);
}

}  // namespace kaizen::config
