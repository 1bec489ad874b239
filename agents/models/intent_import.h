// Converts an intent data set in CLINC150's raw layout into the JSONL the
// manifests read (what `kaizen import-intents` runs; docs/bring-your-own-data.md).
//
// The raw layout is a folder with two files:
//   data_full.json  {"train": [[text, intent], ...], "val": [...], "test": [...],
//                    and optionally "oos_train", "oos_val", "oos_test" the same way}
//   domains.json    {"domain": ["intent", ...], ...}: every intent in exactly one domain
//
// The output has one line per pair, {"text", "intent", "domain", "split"} with
// split train|val|test, in the order train, val, test and each list's own order;
// with keep_oos the oos_* lists follow (train, val, test), labelled intent "oos",
// domain "oos". Nothing is named or tuned for CLINC150: any domain and intent
// names work.
//
// Errors are InvalidArgument (NotFound for a missing file, IOError for an
// unreadable one) with a message that names the file, the place (split and
// index, or the parser's line, column and byte) and what to do. Problems that
// do not stop a run (a domain without val or test rows, an intent without
// rows, keys that are ignored) are warnings, collected in the result.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::models {

// Intent and domain of out-of-scope rows kept with keep_oos.
inline constexpr std::string_view kOutOfScopeLabel = "oos";
// A raw file larger than this is refused before it is read (CLINC150's is 2.5 MB).
inline constexpr std::size_t kMaxIntentSourceBytes = std::size_t{256} << 20;

struct IntentImportOptions {
  bool keep_oos = false;  // keep oos_train/oos_val/oos_test as intent "oos", domain "oos"
};

// Rows of one domain per split.
struct DomainRows {
  std::string name;
  std::size_t intents = 0;  // intents domains.json lists for it (1 for "oos")
  std::size_t train = 0, val = 0, test = 0;
};

struct IntentImport {
  std::string jsonl;                // the output file's contents, each line ending in '\n'
  std::size_t train = 0, val = 0, test = 0;  // rows per split (kept oos rows included)
  std::size_t intents = 0;          // distinct intents in the rows ("oos" counted when kept)
  std::vector<DomainRows> domains;  // in domains.json's order; "oos" last when kept
  std::size_t oos_dropped = 0;      // out-of-scope rows left out (keep_oos off)
  std::size_t oos_kept = 0;
  std::vector<std::string> warnings;  // one sentence each, for people

  std::size_t rows() const { return train + val + test; }
};

// The conversion, on the two files' contents; data_name and domains_name are
// how messages name the files (their paths).
Result<IntentImport> ConvertIntentData(std::string_view data_full_json, std::string_view domains_json,
                                       const IntentImportOptions& options,
                                       const std::string& data_name = "data_full.json",
                                       const std::string& domains_name = "domains.json");

// Reads dir/data_full.json and dir/domains.json and converts them.
Result<IntentImport> ImportIntentDir(const std::string& dir, const IntentImportOptions& options);

// Writes import.jsonl to path atomically (temporary file, fsync, rename): a
// reader sees the old file or the whole new one, never a part.
Status WriteIntentJsonl(const std::string& path, const IntentImport& import);

}  // namespace kaizen::models
