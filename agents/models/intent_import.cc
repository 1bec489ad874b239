#include "agents/models/intent_import.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "agents/models/intent_jsonl.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/text.h"

namespace kaizen::models {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps domains.json's order for the summary

constexpr std::array<const char*, 3> kSplits = {"train", "val", "test"};
constexpr std::array<const char*, 3> kOosSplits = {"oos_train", "oos_val", "oos_test"};
constexpr std::size_t kMaxNamed = 10;  // a message names at most this many intents
constexpr const char* kLayoutDoc = "docs/bring-your-own-data.md";

std::string Q(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string KindOf(const json& j) {
  switch (j.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "true/false";
    case json::value_t::null: return "null";
    default: return "a number";
  }
}

// The value as written, cut short for a message.
std::string Snippet(const json& j) { return Abbreviate(j.dump(), 80); }

// "a, b, c and 2 more"
std::string NameList(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < kMaxNamed; ++i) s += (i ? ", " : "") + Q(names[i]);
  if (names.size() > kMaxNamed) s += " and " + std::to_string(names.size() - kMaxNamed) + " more";
  return s;
}

// Parses a whole file; the error names the parser's line, column and byte.
// Top-level keys given twice are an error too (the parser would keep the last).
Result<json> ParseJson(std::string_view text, const std::string& name) {
  std::vector<std::string> duplicates;
  std::set<std::string> top_keys;
  json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !top_keys.insert(parsed.get<std::string>()).second)
      duplicates.push_back(parsed.get<std::string>());
    return true;
  };
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), note_keys);
  } catch (const json::parse_error& e) {
    // what(): "[json.exception.parse_error.101] parse error at line 3, column 16: syntax error ..."
    std::string what = e.what();
    if (auto cut = what.find("] "); what.rfind("[json.exception", 0) == 0 && cut != std::string::npos)
      what = what.substr(cut + 2);
    if (auto cut = what.find(": "); what.rfind("parse error", 0) == 0 && cut != std::string::npos)
      what = what.substr(cut + 2);
    // e.byte: 1-based position of the last character read.
    const std::size_t p = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const std::string_view head = text.substr(0, p);
    const auto line = 1 + static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n'));
    const std::size_t newline = head.rfind('\n');
    const std::size_t column = newline == std::string_view::npos ? p + 1 : p - newline;
    return Status::InvalidArgument(name + ": not valid JSON at line " + std::to_string(line) + ", column " +
                                   std::to_string(column) + " (byte " +
                                   std::to_string(e.byte) + "): " + what +
                                   "; fix the file there (the mistake is at that spot or just before it)");
  }
  if (!duplicates.empty())
    return Status::InvalidArgument(name + ": key " + Q(duplicates.front()) +
                                   " is given twice; a JSON parser keeps only one of them: merge the two");
  return doc;
}

// A [text, intent] pair at list[index], or the error that says what it is instead.
Status CheckPair(const json& pair, const std::string& file, const std::string& split, std::size_t index) {
  const std::string at = file + ": " + Q(split) + "[" + std::to_string(index) + "]";
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
    return Status::InvalidArgument(at + " must be a [text, intent] pair of two strings, found " + Snippet(pair) +
                                   "; every item of " + Q(split) + " is written [\"the user's message\", \"intent\"]");
  if (Trim(pair[0].get_ref<const std::string&>()).empty())
    return Status::InvalidArgument(at + " has an empty text (intent " + Q(pair[1].get_ref<const std::string&>()) +
                                   "); give it the user's message or remove the pair");
  if (pair[1].get_ref<const std::string&>().empty())
    return Status::InvalidArgument(at + " has an empty intent (text " + Q(Abbreviate(pair[0].get<std::string>(), 60)) +
                                   "); give it the intent's name or remove the pair");
  return Status::OK();
}

Status ExpectList(const json& doc, const char* split, const std::string& file) {
  if (doc.at(split).is_array()) return Status::OK();
  return Status::InvalidArgument(file + ": " + Q(split) + " must be a list of [text, intent] pairs, found " +
                                 KindOf(doc.at(split)));
}

struct Domains {
  std::vector<DomainRows> rows;                       // domains.json order
  std::unordered_map<std::string, std::size_t> of;    // intent -> index in rows
  std::vector<std::string> intents;                   // in the order listed
};

Result<Domains> ReadDomains(const json& doc, const std::string& file, const IntentImportOptions& options,
                            std::vector<std::string>& warnings) {
  if (!doc.is_object())
    return Status::InvalidArgument(file + ": expected an object mapping each domain to the list of its intents, "
                                          "e.g. {\"garden\": [\"water_plants\", \"order_seeds\"]}, found " +
                                   KindOf(doc));
  if (doc.empty())
    return Status::InvalidArgument(file + ": lists no domains; give each domain and its intents, "
                                          "e.g. {\"garden\": [\"water_plants\", \"order_seeds\"]}");
  Domains d;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& name = it.key();
    if (Trim(name).empty()) return Status::InvalidArgument(file + ": a domain has an empty name; give it one");
    if (options.keep_oos && name == kOutOfScopeLabel)
      return Status::InvalidArgument(file + ": has a domain named \"oos\", the name --keep-oos gives out-of-scope "
                                            "rows; rename the domain, or leave out --keep-oos");
    if (!it.value().is_array())
      return Status::InvalidArgument(file + ": domain " + Q(name) + " must be a list of intent names, found " +
                                     KindOf(it.value()));
    const std::size_t index = d.rows.size();
    d.rows.push_back(DomainRows{name});
    std::size_t i = 0;
    for (const json& intent : it.value()) {
      if (!intent.is_string() || intent.get_ref<const std::string&>().empty())
        return Status::InvalidArgument(file + ": domain " + Q(name) + ", item " + std::to_string(i) +
                                       " must be an intent name (a non-empty string), found " + Snippet(intent));
      const std::string& iname = intent.get_ref<const std::string&>();
      if (options.keep_oos && iname == kOutOfScopeLabel)
        return Status::InvalidArgument(file + ": domain " + Q(name) + " lists intent \"oos\", the intent --keep-oos "
                                              "gives out-of-scope rows; rename it, or leave out --keep-oos");
      auto [pos, fresh] = d.of.emplace(iname, index);
      if (!fresh && pos->second != index)
        return Status::InvalidArgument(file + ": intent " + Q(iname) + " is in two domains, " +
                                       Q(d.rows[pos->second].name) + " and " + Q(name) +
                                       "; an intent belongs to exactly one domain: remove it from one of the lists");
      if (!fresh) {
        warnings.push_back(file + ": domain " + Q(name) + " lists intent " + Q(iname) + " twice (counted once)");
      } else {
        d.intents.push_back(iname);
        ++d.rows[index].intents;
      }
      ++i;
    }
    if (d.rows[index].intents == 0)
      warnings.push_back(file + ": domain " + Q(name) + " lists no intents: it gets no rows");
  }
  return d;
}

void AddRow(IntentImport& out, DomainRows& domain, std::string_view split) {
  if (split == "train") {
    ++out.train;
    ++domain.train;
  } else if (split == "val") {
    ++out.val;
    ++domain.val;
  } else {
    ++out.test;
    ++domain.test;
  }
}

// Warnings about what the data lacks for a run: per domain, then intents.
void WarnAboutGaps(IntentImport& out, const Domains& domains, const std::unordered_set<std::string>& seen,
                   const std::string& data_file, const std::string& domains_file) {
  for (const DomainRows& d : out.domains) {
    if (d.name == kOutOfScopeLabel || d.intents == 0) continue;
    if (d.train + d.val + d.test == 0) {
      out.warnings.push_back("domain " + Q(d.name) + " has no rows in " + data_file +
                             ": none of its intents appears there");
      continue;
    }
    if (d.train == 0)
      out.warnings.push_back("domain " + Q(d.name) + " has no train rows: a model trained on it learns nothing of it");
    if (d.val + d.test == 0) {
      out.warnings.push_back("domain " + Q(d.name) + " has no val or test rows: simulated users (split val,test) " +
                             "never send its messages, so a run cannot show it being learned; move some of its " +
                             "pairs from \"train\" to \"val\" and \"test\"");
    } else if (d.val == 0 || d.test == 0) {
      out.warnings.push_back("domain " + Q(d.name) + " has " + std::to_string(d.val) + " val and " +
                             std::to_string(d.test) + " test rows; with both, simulated users and evaluation " +
                             "see more of it: move some of its pairs from \"train\" to the empty one");
    }
  }
  std::vector<std::string> unused;
  for (const std::string& intent : domains.intents)
    if (!seen.count(intent)) unused.push_back(intent);
  if (!unused.empty())
    out.warnings.push_back(std::to_string(unused.size()) + " intent" + (unused.size() == 1 ? " is" : "s are") +
                           " listed in " + domains_file + " but " +
                           (unused.size() == 1 ? "has" : "have") + " no rows: " + NameList(unused));
}

}  // namespace

Result<IntentImport> ConvertIntentData(std::string_view data_full_json, std::string_view domains_json,
                                       const IntentImportOptions& options, const std::string& data_name,
                                       const std::string& domains_name) {
  IntentImport out;
  auto domains_doc = ParseJson(domains_json, domains_name);
  if (!domains_doc.ok()) return domains_doc.status();
  auto domains = ReadDomains(*domains_doc, domains_name, options, out.warnings);
  if (!domains.ok()) return domains.status();
  out.domains = domains->rows;

  auto doc = ParseJson(data_full_json, data_name);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object())
    return Status::InvalidArgument(data_name + ": expected an object with the lists \"train\", \"val\" and \"test\" "
                                               "of [text, intent] pairs, found " + KindOf(*doc));
  if (!doc->contains("train")) {
    std::vector<std::string> keys;
    for (auto it = doc->begin(); it != doc->end(); ++it) keys.push_back(it.key());
    return Status::InvalidArgument(data_name + ": has no \"train\" list (keys found: " +
                                   (keys.empty() ? std::string("none") : NameList(keys)) +
                                   "); it needs \"train\", \"val\" and \"test\", each a list of [text, intent] pairs");
  }
  for (auto it = doc->begin(); it != doc->end(); ++it) {
    const std::string& key = it.key();
    const bool known = std::find(kSplits.begin(), kSplits.end(), key) != kSplits.end() ||
                       std::find(kOosSplits.begin(), kOosSplits.end(), key) != kOosSplits.end();
    if (!known)
      out.warnings.push_back(data_name + ": key " + Q(key) + " is ignored (read: train, val, test; and oos_train, "
                                         "oos_val, oos_test with --keep-oos)");
  }

  // In-scope rows. Intents in no domain are collected, to name them all at once.
  std::unordered_set<std::string> seen;
  std::vector<std::string> homeless;                          // first-seen order
  std::map<std::string, std::pair<std::size_t, std::string>> homeless_rows;  // rows, first place
  for (const char* split : kSplits) {
    if (!doc->contains(split)) {
      out.warnings.push_back(data_name + ": has no " + Q(split) + " list: no " + split + " rows");
      continue;
    }
    if (Status s = ExpectList(*doc, split, data_name); !s.ok()) return s;
    const json& list = doc->at(split);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (Status s = CheckPair(list[i], data_name, split, i); !s.ok()) return s;
      const std::string& text = list[i][0].get_ref<const std::string&>();
      const std::string& intent = list[i][1].get_ref<const std::string&>();
      auto d = domains->of.find(intent);
      if (d == domains->of.end()) {
        auto [h, fresh] = homeless_rows.try_emplace(intent, 0, Q(split) + "[" + std::to_string(i) + "]");
        if (fresh) homeless.push_back(intent);
        ++h->second.first;
        continue;
      }
      seen.insert(intent);
      if (homeless.empty()) {
        out.jsonl += IntentJsonlLine(text, intent, out.domains[d->second].name, split);
        AddRow(out, out.domains[d->second], split);
      }
    }
  }
  if (!homeless.empty()) {
    std::string named;
    for (std::size_t i = 0; i < homeless.size() && i < kMaxNamed; ++i) {
      const auto& [rows, first] = homeless_rows.at(homeless[i]);
      named += (i ? ", " : "") + Q(homeless[i]) + " (" + std::to_string(rows) + " row" + (rows == 1 ? "" : "s") +
               ", first " + first + ")";
    }
    if (homeless.size() > kMaxNamed) named += " and " + std::to_string(homeless.size() - kMaxNamed) + " more";
    return Status::InvalidArgument(
        data_name + ": " + std::to_string(homeless.size()) + " intent" + (homeless.size() == 1 ? " is" : "s are") +
        " in no domain of " + domains_name + ": " + named + "; add each to one domain's list in " + domains_name +
        " (or remove its pairs; out-of-scope pairs belong in oos_train, oos_val and oos_test)");
  }

  // Out-of-scope rows: kept under intent and domain "oos", or only counted.
  bool any_oos = false;
  for (const char* oos_split : kOosSplits) {
    if (!doc->contains(oos_split)) continue;
    if (Status s = ExpectList(*doc, oos_split, data_name); !s.ok()) return s;
    const json& list = doc->at(oos_split);
    if (!options.keep_oos) {
      out.oos_dropped += list.size();
      continue;
    }
    if (!any_oos) out.domains.push_back(DomainRows{std::string(kOutOfScopeLabel), 1});
    any_oos = true;
    const std::string split = std::string(oos_split).substr(4);  // "oos_train" -> "train"
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (Status s = CheckPair(list[i], data_name, oos_split, i); !s.ok()) return s;
      out.jsonl += IntentJsonlLine(list[i][0].get_ref<const std::string&>(), kOutOfScopeLabel, kOutOfScopeLabel,
                                   split);
      AddRow(out, out.domains.back(), split);
      ++out.oos_kept;
    }
  }
  if (out.oos_kept > 0) seen.insert(std::string(kOutOfScopeLabel));

  if (out.rows() == 0)
    return Status::InvalidArgument(data_name + ": has no [text, intent] pairs in \"train\", \"val\" or \"test\"; "
                                               "there is nothing to convert");
  out.intents = seen.size();
  WarnAboutGaps(out, *domains, seen, data_name, domains_name);
  return out;
}

Result<IntentImport> ImportIntentDir(const std::string& dir, const IntentImportOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound(dir + ": no such directory; give the folder that holds data_full.json and domains.json (" +
                            kLayoutDoc + ")");
  std::string texts[2];
  const char* names[2] = {"data_full.json", "domains.json"};
  for (int i = 0; i < 2; ++i) {
    const std::string path = (fs::path(dir) / names[i]).string();
    auto text = ReadWholeFile(path, kMaxIntentSourceBytes);
    if (text.ok()) {
      texts[i] = std::move(text).value();
      continue;
    }
    if (text.status().code() != Status::Code::kNotFound) return text.status();
    std::vector<std::string> json_files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".json") json_files.push_back(entry.path().filename().string());
    std::sort(json_files.begin(), json_files.end());
    std::string msg = path + ": no such file; " + dir + " must hold data_full.json and domains.json in CLINC150's "
                      "raw layout (" + kLayoutDoc + ")";
    if (!json_files.empty() && i == 0)
      msg += "; JSON files there: " + NameList(json_files) + " (copy the one to use to data_full.json)";
    return Status::NotFound(msg);
  }
  return ConvertIntentData(texts[0], texts[1], options, (fs::path(dir) / names[0]).string(),
                           (fs::path(dir) / names[1]).string());
}

Status WriteIntentJsonl(const std::string& path, const IntentImport& import) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return Status::InvalidArgument(path + ": is a directory; give --output a file name, e.g. " +
                                   (fs::path(path) / "intents.jsonl").string());
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return Status::NotFound("cannot write " + path + ": the folder " + parent.string() +
                            " does not exist; create it first (mkdir -p " + parent.string() + ")");
  return WriteFileAtomically(path, import.jsonl);
}

}  // namespace kaizen::models
