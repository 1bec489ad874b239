// kaizen import-intents DIR --output FILE [--keep-oos]: an intent data set in
// CLINC150's raw layout to the JSONL the manifests read (agents/models/intent_import.h).
#include <algorithm>
#include <cstdio>
#include <string>

#include "agents/models/intent_import.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {
namespace {

void PrintSummary(const models::IntentImport& r, const ImportIntentsOptions& o) {
  std::printf("wrote %zu rows to %s\n", r.rows(), o.output.c_str());
  std::printf("  splits:  train %zu, val %zu, test %zu\n", r.train, r.val, r.test);
  std::printf("  intents: %zu in %zu domains", r.intents, r.domains.size());
  if (r.oos_kept > 0) std::printf(" (%zu out-of-scope rows kept as intent and domain \"oos\")", r.oos_kept);
  if (r.oos_dropped > 0) std::printf(" (%zu out-of-scope rows left out; --keep-oos keeps them)", r.oos_dropped);
  std::printf("\n\n");

  std::size_t width = 6;  // "domain"
  for (const auto& d : r.domains) width = std::max(width, d.name.size());
  const int w = static_cast<int>(width);
  std::printf("  %-*s  %7s  %7s  %7s  %7s\n", w, "domain", "intents", "train", "val", "test");
  for (const auto& d : r.domains)
    std::printf("  %-*s  %7zu  %7zu  %7zu  %7zu\n", w, d.name.c_str(), d.intents, d.train, d.val, d.test);

  // Ready to paste into a manifest's domain lists (docs/bring-your-own-data.md).
  std::string list;
  for (const auto& d : r.domains)
    if (d.name != models::kOutOfScopeLabel) list += (list.empty() ? "" : ", ") + d.name;
  std::printf("\n  domains, as a manifest list: [%s]\n", list.c_str());
}

}  // namespace

int RunImportIntents(const ImportIntentsOptions& o) {
  auto imported = models::ImportIntentDir(o.dir, models::IntentImportOptions{o.keep_oos});
  if (!imported.ok()) {
    std::fprintf(stderr, "kaizen import-intents: %s\n", imported.status().message().c_str());
    return imported.status().code() == Status::Code::kIOError ? kExitFailure : kExitInvalid;
  }
  if (Status s = models::WriteIntentJsonl(o.output, *imported); !s.ok()) {
    std::fprintf(stderr, "kaizen import-intents: %s\n", s.message().c_str());
    return kExitFailure;
  }
  PrintSummary(*imported, o);
  std::fflush(stdout);
  for (const auto& w : imported->warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
  return kExitOk;
}

}  // namespace kaizen::cli
