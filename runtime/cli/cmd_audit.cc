// kaizen audit verify|show|export: the audit trail (runtime/audit/audit_chain.h)
// from the store, read-only, so it works whether the cluster runs or not.
//   verify  recomputes the hash chain and re-hashes every artifact an entry
//           lists: "audit: N entries, chain intact, M artifacts match", exit
//           0; else the first broken link, exit 1.
//   show    one readable line per entry (of one cycle, if given).
//   export  every field of every entry, hashes included, as JSON lines (to
//           a file with --output, written atomically), for an outside system.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/sdk/artifacts.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/clock.h"
#include "runtime/base/sha256.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/stored_cluster.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

Result<std::string> AuditHashArtifact(const std::string& uri) {
  auto path = sdk::PathFromUri(uri);
  if (!path.ok()) return path.status();
  return Sha256File(*path);
}

int AuditVerify(const std::vector<audit::AuditEntry>& entries) {
  const audit::VerifyReport r = audit::VerifyChain(entries, AuditHashArtifact);
  if (!r.intact()) {
    std::printf("audit: %s\n", r.broken->what.c_str());
    std::printf("audit: the chain is broken there (%zu of %zu entries before it verified); the store or an "
                "artifact was changed outside Kaizen: compare with an exported copy\n",
                r.entries, entries.size());
    return kExitFailure;
  }
  std::printf("audit: %zu entries, chain intact, %zu artifacts match\n", r.entries, r.artifacts);
  return kExitOk;
}

// The key facts of an entry, for people: the reason, the registry rows, an approval.
std::string AuditFacts(const audit::AuditEntry& e) {
  const json& b = e.body;
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (b.contains("stage") && b["stage"].is_string()) add("stage " + b["stage"].get<std::string>());
  if (b.contains("reason") && b["reason"].is_string()) add(b["reason"].get<std::string>());
  if (b.contains("models") && b["models"].is_array()) {
    for (const auto& m : b["models"]) {
      add("model " + m.value("version", "?") + " " + m.value("status", "?") + " sha256 " +
          m.value("sha256", "").substr(0, 12));
    }
  }
  if (b.contains("datasets") && b["datasets"].is_array()) {
    for (const auto& d : b["datasets"]) {
      add("dataset " + d.value("id", "").substr(0, 12) + " (" + std::to_string(d.value("rows", int64_t{0})) +
          " rows) sha256 " + d.value("sha256", "").substr(0, 12));
    }
  }
  if (b.contains("anchor") && b["anchor"].is_object()) {
    add("drift anchor " + b["anchor"].value("version", "?") + " sha256 " + b["anchor"].value("sha256", "").substr(0, 12));
  }
  // No stage entered (a traffic split, a loaded candidate): the message it recorded.
  if (!b.contains("reason") && b.contains("events") && b["events"].is_array() && !b["events"].empty()) {
    const json& e = b["events"][0];
    std::string message = e.value("message", json(nullptr)).dump(-1, ' ', false, json::error_handler_t::replace);
    if (message.size() > 160) message = message.substr(0, 157) + "...";
    add(e.value("kind", "") + " " + message);
  }
  return out;
}

int AuditShow(const std::vector<audit::AuditEntry>& entries, const std::string& cycle) {
  if (entries.empty()) {
    std::printf("%s\n", cycle.empty() ? "no audit entries" : ("no audit entries for cycle " + cycle).c_str());
    return kExitOk;
  }
  for (const auto& e : entries) {
    std::printf("#%llu %s %-4s %-17s by %s: %s\n", static_cast<unsigned long long>(e.seq),
                FormatIsoMs(e.ts_ms).c_str(), e.cycle.empty() ? "-" : e.cycle.c_str(), e.kind.c_str(),
                e.actor.c_str(), AuditFacts(e).c_str());
  }
  return kExitOk;
}

int AuditExport(const std::vector<audit::AuditEntry>& entries, const std::string& output) {
  std::string lines;
  for (const auto& e : entries) {
    lines += audit::ToJson(e).dump(-1, ' ', false, json::error_handler_t::replace);
    lines += '\n';
  }
  if (output.empty() || output == "-") {
    std::fwrite(lines.data(), 1, lines.size(), stdout);
    return std::ferror(stdout) ? kExitFailure : kExitOk;
  }
  if (Status s = WriteFileAtomically(output, lines); !s.ok()) {
    std::fprintf(stderr, "kaizen audit export: cannot write %s: %s\n", output.c_str(), s.message().c_str());
    return kExitFailure;
  }
  std::fprintf(stderr, "kaizen audit export: %zu entries written to %s\n", entries.size(), output.c_str());
  return kExitOk;
}

}  // namespace

int RunAudit(const AuditOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("audit", o.state_dir, &code);
  if (!cluster) return code;
  // verify and export need the whole chain; show may take one cycle's entries.
  auto entries = cluster->store->ReadAudit(o.action == AuditOptions::Action::kShow ? o.cycle : "");
  if (!entries.ok()) {
    std::fprintf(stderr, "kaizen audit: %s\n", entries.status().message().c_str());
    return kExitFailure;
  }
  switch (o.action) {
    case AuditOptions::Action::kVerify:
      return AuditVerify(*entries);
    case AuditOptions::Action::kShow:
      return AuditShow(*entries, o.cycle);
    case AuditOptions::Action::kExport:
      return AuditExport(*entries, o.output);
  }
  return kExitInvalid;
}

}  // namespace kaizen::cli
