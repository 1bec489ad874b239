#include "config/checks.h"

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "config/constitution.h"
#include "config/manifest_schema.h"
#include "config/scalar.h"

namespace kaizen::config {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Unix socket paths (sun_path) hold 107 bytes plus the terminating NUL.
constexpr size_t kMaxIpcPath = 107;

void Err(const CheckContext& ctx, const std::string& path, const std::string& msg) {
  ctx.validator->Error(ctx.validator->marks().Find(path), path, msg);
}

// The value at a chain of object keys, or nullptr.
json* At(json& doc, std::initializer_list<const char*> keys) {
  json* cur = &doc;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}
const json* At(const json& doc, std::initializer_list<const char*> keys) {
  return At(const_cast<json&>(doc), keys);
}

std::string Str(const json* j) { return j && j->is_string() ? j->get<std::string>() : ""; }

std::string Absolute(const std::string& p, const fs::path& base) {
  fs::path path(p);
  if (path.is_relative()) path = base / path;
  path = path.lexically_normal();
  // "/a/b/" -> "/a/b": the runtime appends file names to it.
  if (!path.has_filename() && path.has_parent_path() && path != path.root_path()) path = path.parent_path();
  return path.string();
}

void CheckEndpoint(const CheckContext& ctx, const std::string& path, const std::string& ep) {
  static const std::regex tcp("tcp://([^:/]+|\\[[0-9a-fA-F:]+\\]):(\\*|[0-9]{1,5})");
  if (ep.rfind("ipc://", 0) == 0) {
    std::string file = ep.substr(6);
    if (file.size() > kMaxIpcPath)
      Err(ctx, path,
          "the socket path of " + Quote(ep) + " is " + std::to_string(file.size()) + " bytes; Unix sockets allow " +
              std::to_string(kMaxIpcPath) + " (use a shorter state_dir or a tcp:// endpoint)");
    return;
  }
  std::smatch m;
  if (!std::regex_match(ep, m, tcp)) {
    Err(ctx, path, "expected tcp://HOST:PORT with PORT a number or *, found " + Quote(ep));
    return;
  }
  if (m[2] != "*" && (std::stoi(m[2]) < 1 || std::stoi(m[2]) > 65535))
    Err(ctx, path, "expected a port in 1..65535 or *, found " + Quote(ep));
}

// spec.runtime.security: key file paths made absolute (the server key
// defaults under the state dir); each client gives exactly one of
// public_key and public_key_file, under a unique name.
void ResolveSecurity(json* runtime, const CheckContext& ctx) {
  json* security = At(*runtime, {"security"});
  if (!security || !security->is_object()) return;
  const std::string dir = Str(At(*runtime, {"state_dir"}));
  if (json* key = At(*security, {"server_key"}); key && key->is_string()) {
    if (key->get<std::string>().empty()) {
      Err(ctx, "spec.runtime.security.server_key", "expected a file path, found an empty string");
    } else {
      *key = Absolute(key->get<std::string>(), fs::path(ctx.base_dir));
    }
  } else if (!key && !dir.empty()) {
    (*security)["server_key"] = dir + "/keys/runtime.key";
  }
  json* clients = At(*security, {"clients"});
  if (!clients || !clients->is_array()) return;
  std::set<std::string> names;
  std::error_code ec;
  for (size_t i = 0; i < clients->size(); ++i) {
    json& c = (*clients)[i];
    if (!c.is_object()) continue;
    const std::string path = "spec.runtime.security.clients[" + std::to_string(i) + "]";
    const std::string name = Str(At(c, {"name"}));
    if (!name.empty() && !names.insert(name).second)
      Err(ctx, path + ".name", "client name " + Quote(name) + " is used twice; client names must be unique");
    if (ctx.validator->HasErrorsUnder(path)) continue;  // a bad key was already reported (and dropped)
    json* file = At(c, {"public_key_file"});
    if (c.contains("public_key") == (file != nullptr)) {
      Err(ctx, path, file ? "give public_key or public_key_file, not both"
                          : "missing key \"public_key\" or \"public_key_file\" (the client's CURVE public key)");
      continue;
    }
    if (!file || !file->is_string()) continue;
    if (file->get<std::string>().empty()) {
      Err(ctx, path + ".public_key_file", "expected a file path, found an empty string");
      continue;
    }
    *file = Absolute(file->get<std::string>(), fs::path(ctx.base_dir));
    if (!fs::is_regular_file(file->get<std::string>(), ec))
      Err(ctx, path + ".public_key_file",
          "file " + Quote(file->get<std::string>()) +
              " does not exist (relative paths resolve against the manifest's directory)");
  }
}

// Each problem of the constitution file, at its own FILE:LINE:COLUMN, reported
// on the manifest's constitution.path (the manifest's diagnostics hold one file).
void CheckConstitution(const json& spec, const CheckContext& ctx) {
  const std::string key = "spec.evaluation.constitution";
  const json* c = At(spec, {"evaluation", "constitution"});
  if (!c || !c->is_object() || ctx.validator->HasErrorsUnder(key)) return;
  if (Str(At(*c, {"refusal_label"})).empty())
    Err(ctx, key + ".refusal_label", "expected a non-empty label (the answer that refuses an input)");
  if (const json* phrases = At(*c, {"refusal_phrases"}); phrases && phrases->is_array()) {
    for (std::size_t i = 0; i < phrases->size(); ++i) {
      if (Str(&(*phrases)[i]).find_first_not_of(" \t") == std::string::npos)
        Err(ctx, key + ".refusal_phrases",
            "refusal phrase " + std::to_string(i + 1) + " is empty; every answer would contain it");
    }
  }
  // The judge grades through spec.evaluation.judge: without it a judged case cannot be graded.
  const bool has_judge = At(spec, {"evaluation", "judge"}) != nullptr;
  const std::string no_judge = "is graded by the judge, but spec.evaluation.judge is not set (add it, or grade "
                               "exactly: grader: exact)";
  if (!has_judge && Str(At(*c, {"grader"})) == "judge") Err(ctx, key + ".grader", "the constitution " + no_judge);
  const ConstitutionLoad load = LoadConstitutionFile(Str(At(*c, {"path"})));
  // Past this many, the rest of a broken file is noise.
  constexpr std::size_t kShown = 20;
  std::size_t shown = 0, more = 0;
  auto report = [&](const Diagnostic& d) {
    if (shown == kShown) return static_cast<void>(++more);
    ++shown;
    std::string where = d.file;
    if (d.line > 0) where += ":" + std::to_string(d.line) + ":" + std::to_string(d.column);
    Err(ctx, key + ".path", "constitution " + where + ": " + d.message);
  };
  for (const Diagnostic& d : load.errors) report(d);
  for (const ConstitutionCase& k : load.cases) {
    if (has_judge || k.grader != "judge") continue;
    Diagnostic d;
    d.file = Str(At(*c, {"path"}));
    d.line = k.line;
    d.column = k.grader_column;
    d.message = "case " + Quote(k.id) + " " + no_judge;
    report(d);
  }
  if (more > 0) Err(ctx, key + ".path", "constitution: " + std::to_string(more) + " more problems");
}

}  // namespace

void ResolvePaths(json* doc, const CheckContext& ctx) {
  json* runtime = At(*doc, {"spec", "runtime"});
  const std::string name = Str(At(*doc, {"metadata", "name"}));
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (runtime && runtime->is_object()) {
    std::string dir = ctx.state_dir_override;
    if (dir.empty()) dir = Str(At(*runtime, {"state_dir"}));
    if (dir.empty() && runtime->contains("state_dir")) {
      Err(ctx, "spec.runtime.state_dir", "expected a directory path, found an empty string");
    } else if (dir.empty() && !name.empty()) {
      dir = ".kaizen/" + name;
    }
    if (!dir.empty()) {
      dir = Absolute(dir, cwd);
      (*runtime)["state_dir"] = dir;
    }
    json& eps = (*runtime)["endpoints"];
    if (!eps.is_object()) eps = json::object();
    for (const char* which : {"control", "events"}) {
      const std::string path = std::string("spec.runtime.endpoints.") + which;
      if (!eps.contains(which)) {
        if (dir.empty() || ctx.validator->HasErrorsUnder(path)) continue;  // nothing sensible to check
        eps[which] = "ipc://" + dir + "/" + which + ".sock";
      }
      CheckEndpoint(ctx, path, eps[which].get<std::string>());
    }
    if (eps.contains("control") && eps.contains("events") && eps["control"] == eps["events"] &&
        eps["control"].get<std::string>().find('*') == std::string::npos)
      Err(ctx, "spec.runtime.endpoints.events",
          "expected an address other than the control endpoint's, found the same " +
              Quote(eps["events"].get<std::string>()));
  }

  if (runtime && runtime->is_object()) ResolveSecurity(runtime, ctx);

  // Key files: absolute, and they must exist when the cluster starts.
  for (auto [section, key] : {std::pair{"gateway", "api_keys_file"}, std::pair{"simulator", "api_key_file"}}) {
    json* f = At(*doc, {"spec", section, key});
    if (!f || !f->is_string()) continue;
    const std::string path = std::string("spec.") + section + "." + key;
    if (f->get<std::string>().empty()) {
      Err(ctx, path, "expected a file path, found an empty string");
      continue;
    }
    *f = Absolute(f->get<std::string>(), fs::path(ctx.base_dir));
    if (!fs::is_regular_file(f->get<std::string>(), ec))
      Err(ctx, path,
          "file " + Quote(f->get<std::string>()) + " does not exist (relative paths resolve against the manifest's directory)");
  }

  // The constitution: absolute, and it must exist (its cases are checked in CheckRules).
  if (json* f = At(*doc, {"spec", "evaluation", "constitution", "path"}); f && f->is_string()) {
    const std::string key = "spec.evaluation.constitution.path";
    if (f->get<std::string>().empty()) {
      Err(ctx, key, "expected a file path, found an empty string");
    } else {
      *f = Absolute(f->get<std::string>(), fs::path(ctx.base_dir));
      if (!fs::is_regular_file(f->get<std::string>(), ec))
        Err(ctx, key,
            "file " + Quote(f->get<std::string>()) +
                " does not exist (relative paths resolve against the manifest's directory)");
    }
  }

  json* data = At(*doc, {"spec", "data"});
  if (!data || !data->is_object()) return;
  for (auto it = data->begin(); it != data->end(); ++it) {
    json* p = At(it.value(), {"path"});
    if (!p || !p->is_string()) continue;
    const std::string key = "spec.data." + it.key() + ".path";
    if (p->get<std::string>().empty()) {
      Err(ctx, key, "expected a file path, found an empty string");
      continue;
    }
    const std::string abs = Absolute(p->get<std::string>(), fs::path(ctx.base_dir));
    *p = abs;
    if (!fs::exists(abs, ec)) {
      Err(ctx, key, "file " + Quote(abs) + " does not exist (relative paths resolve against the manifest's directory)");
    } else if (!fs::is_regular_file(abs, ec)) {
      Err(ctx, key, "expected a file, found a directory or special file at " + Quote(abs));
    }
  }
}

void ResolveRestarts(json* doc, const CheckContext& ctx) {
  const json* base = At(*doc, {"spec", "runtime", "restart"});
  if (!base || !base->is_object()) return;
  auto check = [&](const json& r, const std::string& path) {
    if (!r.contains("backoff_initial_ms") || !r.contains("backoff_max_ms")) return;
    if (r["backoff_initial_ms"].get<int64_t>() > r["backoff_max_ms"].get<int64_t>()) {
      // Blame the key actually written in this section.
      std::string key = ctx.validator->marks().Has(path + ".backoff_max_ms") ? ".backoff_max_ms" : ".backoff_initial_ms";
      Err(ctx, path + key,
          "expected backoff_initial_ms <= backoff_max_ms, found " + r["backoff_initial_ms"].dump() + " > " +
              r["backoff_max_ms"].dump());
    }
  };
  if (!ctx.validator->HasErrorsUnder("spec.runtime.restart")) check(*base, "spec.runtime.restart");
  for (const char* role : kRoles) {
    json* section = At(*doc, {"spec", role});
    if (!section || !section->is_object()) continue;
    json merged = *base;
    if (const json* over = At(*section, {"restart"}); over && over->is_object()) {
      for (auto it = over->begin(); it != over->end(); ++it) merged[it.key()] = it.value();
      const std::string path = std::string("spec.") + role + ".restart";
      if (!ctx.validator->HasErrorsUnder(path) && !ctx.validator->HasErrorsUnder("spec.runtime.restart"))
        check(merged, path);
    }
    (*section)["restart"] = merged;
  }
}

void CheckRules(const json& doc, const CheckContext& ctx) {
  Validator& v = *ctx.validator;
  const json* spec = At(doc, {"spec"});
  if (!spec || !spec->is_object()) return;

  // Agent ids: one bus identity each. Blame the one written later in the file
  // (or the one written at all, when the other is a default).
  std::map<std::string, std::string> ids;  // id -> path of its first holder
  for (const char* role : kRoles) {
    const std::string path = std::string("spec.") + role + ".id";
    const std::string id = Str(At(*spec, {role, "id"}));
    if (id.empty()) continue;
    auto [it, fresh] = ids.emplace(id, path);
    if (fresh) continue;
    std::string blame = path, other = it->second;
    if (!v.marks().Has(path) && v.marks().Has(other)) std::swap(blame, other);
    Err(ctx, blame, "agent id " + Quote(id) + " is already the id of " + other + "; agent ids must be unique");
  }

  const json* data = At(*spec, {"data"});
  const bool data_ok = !v.HasErrorsUnder("spec.data");
  auto check_dataset = [&](const json* name, const std::string& path) {
    if (!data_ok || !name || !name->is_string()) return;
    if (data && data->contains(name->get<std::string>())) return;
    std::string known;
    if (data)
      for (auto it = data->begin(); it != data->end(); ++it) known += (known.empty() ? "" : ", ") + it.key();
    Err(ctx, path,
        "expected the name of an entry of spec.data (" + (known.empty() ? std::string("none defined") : known) +
            "), found " + Quote(name->get<std::string>()));
  };
  auto check_skill = [&](const json& skill, const std::string& path) {
    if (Str(At(skill, {"backend"})) == "builtin-classifier" && !skill.contains("train") &&
        !v.HasErrorsUnder(path + ".train"))
      Err(ctx, path + ".train",
          "missing required key \"train\" (the builtin-classifier backend trains its model on this data)");
    check_dataset(At(skill, {"train", "dataset"}), path + ".train.dataset");
  };

  if (const json* skill = At(*spec, {"worker", "skill"}); skill && skill->is_object())
    check_skill(*skill, "spec.worker.skill");

  if (const json* teachers = At(*spec, {"teachers"}); teachers && teachers->is_array()) {
    std::set<std::string> names;
    for (size_t i = 0; i < teachers->size(); ++i) {
      const json& t = (*teachers)[i];
      if (!t.is_object()) continue;
      const std::string path = "spec.teachers[" + std::to_string(i) + "]";
      const std::string name = Str(At(t, {"name"}));
      if (!name.empty() && !names.insert(name).second)
        Err(ctx, path + ".name", "teacher name " + Quote(name) + " is used twice; teacher names must be unique");
      check_skill(t, path);
    }
  }

  // Serve-time deferral needs a classifier worker (its confidence sets the
  // threshold) and a teacher to defer to.
  if (const json* defer = At(*spec, {"worker", "defer"});
      defer && defer->is_object() && !v.HasErrorsUnder("spec.worker.defer")) {
    const json* enabled = At(*defer, {"enabled"});
    if (enabled && enabled->is_boolean() && enabled->get<bool>()) {
      const std::string backend = Str(At(*spec, {"worker", "skill", "backend"}));
      const json* teachers = At(*spec, {"teachers"});
      const std::string wanted = Str(At(*defer, {"teacher"}));
      if (backend == "openai") {
        Err(ctx, "spec.worker.defer.enabled",
            "deferral is available for builtin-classifier workers only, and spec.worker.skill.backend is openai; "
            "remove spec.worker.defer or set enabled: false");
      } else if (!teachers || !teachers->is_array() || teachers->empty()) {
        Err(ctx, "spec.worker.defer.enabled", "deferral needs a teacher to defer to: add one to spec.teachers");
      } else if (!wanted.empty()) {
        std::string known;
        bool found = false;
        for (const json& t : *teachers) {
          const std::string name = Str(At(t, {"name"}));
          found = found || name == wanted;
          known += (known.empty() ? "" : ", ") + name;
        }
        if (!found)
          Err(ctx, "spec.worker.defer.teacher",
              "expected the name of a teacher in spec.teachers (" + known + "), found " + Quote(wanted));
      }
    }
  }

  check_dataset(At(*spec, {"simulator", "dataset"}), "spec.simulator.dataset");

  if (Str(At(*spec, {"planning", "backend"})) == "openai" && !At(*spec, {"planning", "openai"}) &&
      !v.HasErrorsUnder("spec.planning.openai"))
    Err(ctx, "spec.planning.openai", "missing required key \"openai\" (required with backend: openai)");

  // reflection's critic: spec.planning.critic, else an openai teacher; without
  // either, every reflection plan would fail at training.
  if (const json* strategies = At(*spec, {"planning", "strategies"});
      strategies && strategies->is_array() && Str(At(*spec, {"training", "backend"})) == "prompt" &&
      !At(*spec, {"planning", "critic"}) && !v.HasErrorsUnder("spec.planning.strategies") &&
      !v.HasErrorsUnder("spec.teachers")) {
    bool reflection = false, openai_teacher = false;
    for (const json& s : *strategies) reflection = reflection || (s.is_string() && s.get<std::string>() == "reflection");
    if (const json* teachers = At(*spec, {"teachers"}); teachers && teachers->is_array()) {
      for (const json& t : *teachers) openai_teacher = openai_teacher || Str(At(t, {"backend"})) == "openai";
    }
    if (reflection && !openai_teacher)
      Err(ctx, "spec.planning.strategies",
          "reflection needs a critic to write its lessons: set spec.planning.critic (an OpenAI-compatible endpoint) "
          "or add a teacher with backend openai to spec.teachers");
  }

  if (Str(At(*spec, {"training", "backend"})) == "command" && !At(*spec, {"training", "command"}) &&
      !v.HasErrorsUnder("spec.training.command"))
    Err(ctx, "spec.training.command", "missing required key \"command\" (required with backend: command)");
  if (Str(At(*spec, {"training", "backend"})) == "slurm" && Str(At(*spec, {"training", "slurm", "trainer"})) == "command" &&
      !At(*spec, {"training", "command"}) && !v.HasErrorsUnder("spec.training.command"))
    Err(ctx, "spec.training.command",
        "missing required key \"command\" (required with backend: slurm and slurm.trainer: command)");

  if (const json* steps = At(*spec, {"deployment", "steps"}); steps && steps->is_array()) {
    for (size_t i = 1; i < steps->size(); ++i) {
      const json &a = (*steps)[i - 1], &b = (*steps)[i];
      if (a.is_number() && b.is_number() && b.get<double>() <= a.get<double>())
        Err(ctx, "spec.deployment.steps[" + std::to_string(i) + "]",
            "expected a share greater than the previous step's " + a.dump() + " (steps increase), found " + b.dump());
    }
  }

  // A gateway that takes requests without keys must not be reachable from other hosts.
  if (const json* gw = At(*spec, {"gateway"}); gw && gw->is_object() && !v.HasErrorsUnder("spec.gateway.listen")) {
    const std::string listen = Str(At(*gw, {"listen"}));
    const std::string host = listen.substr(0, listen.rfind(':'));
    const bool loopback = host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
    if (!loopback && !gw->contains("api_keys_file"))
      Err(ctx, "spec.gateway.listen",
          "expected a loopback address (127.0.0.1, localhost, [::1]) when spec.gateway.api_keys_file is not set, "
          "found " + Quote(listen) + "; set api_keys_file to take requests from other hosts");
  }
  // tcp:// reaches other hosts: without CURVE anyone who reaches the port
  // joins the cluster and reads its traffic, so that must be written out.
  const json* curve = At(*spec, {"runtime", "security", "curve"});
  const json* insecure = At(*spec, {"runtime", "security", "insecure_tcp"});
  const bool secured = (curve && curve->is_boolean() && curve->get<bool>()) ||
                       (insecure && insecure->is_boolean() && insecure->get<bool>());
  for (const char* which : {"control", "events"}) {
    const std::string path = std::string("spec.runtime.endpoints.") + which;
    const std::string endpoint = Str(At(*spec, {"runtime", "endpoints", which}));
    if (!secured && endpoint.rfind("tcp://", 0) == 0 && !v.HasErrorsUnder(path))
      Err(ctx, path,
          "a tcp:// endpoint needs spec.runtime.security.curve: true (found " + Quote(endpoint) +
              " without it); set security.insecure_tcp: true only on a network no one else can reach");
  }

  CheckConstitution(*spec, ctx);
  CheckBounds(*spec, ctx);

  if (Str(At(*spec, {"simulator", "via"})) == "gateway" && !At(*spec, {"gateway"}) &&
      !At(*spec, {"simulator", "gateway_url"}))
    Err(ctx, "spec.simulator.via",
        "via: gateway needs a spec.gateway section (or simulator.gateway_url naming a gateway elsewhere)");
}

}  // namespace kaizen::config
