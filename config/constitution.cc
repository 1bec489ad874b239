#include "config/constitution.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/scalar.h"

namespace kaizen::config {
namespace {

using json = nlohmann::json;

Diagnostic At(const std::string& file, int line, int column, std::string message) {
  Diagnostic d;
  d.file = file;
  d.line = line;
  d.column = column;
  d.message = std::move(message);
  return d;
}

// 1-based column of "key" in the line's text, else 1: a JSON value has no
// positions, but the key's first spelling is where a reader looks.
int ColumnOf(const std::string& text, const std::string& key) {
  const std::size_t at = text.find("\"" + key + "\"");
  return at == std::string::npos ? 1 : static_cast<int>(at) + 1;
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

// The expectation keys; a case has exactly one. A "both" error names the
// first two present in this order.
constexpr const char* kExpectations[] = {"label", "refuse", "must_contain", "must_not_contain"};

}  // namespace

ConstitutionLoad ParseConstitution(const std::string& text, const std::string& file) {
  ConstitutionLoad r;
  std::map<std::string, int> ids;  // id -> line of its first case
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (Blank(line)) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      // e.byte is the 1-based offset in the line where parsing stopped.
      const int column = e.byte == 0 ? 1 : static_cast<int>(std::min<std::size_t>(e.byte, line.size() + 1));
      // what() also says "line 1, column N" of the one-line parse: only its reason is kept.
      std::string why = e.what();
      if (const std::size_t at = why.find(": ", why.find("parse error")); at != std::string::npos) why.erase(0, at + 2);
      r.errors.push_back(
          At(file, n, column, "expected one JSON object (a case) on the line, found text that is not JSON: " + why));
      continue;
    }
    if (!j.is_object()) {
      r.errors.push_back(At(file, n, 1, "expected a JSON object (a case), found " + std::string(j.type_name())));
      continue;
    }
    bool bad = false;
    auto fail = [&](const std::string& key, std::string message) {
      r.errors.push_back(At(file, n, key.empty() ? 1 : ColumnOf(line, key), std::move(message)));
      bad = true;
    };
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (k != "id" && k != "input" && k != "grader" &&
          std::find(std::begin(kExpectations), std::end(kExpectations), k) == std::end(kExpectations)) {
        fail(k, "unknown key " + Quote(k) + "; a case has \"id\" (optional), \"input\", one of \"label\", "
                "\"refuse\", \"must_contain\" or \"must_not_contain\", and \"grader\" (optional)");
      }
    }
    ConstitutionCase c;
    c.line = n;
    if (!j.contains("input")) {
      fail("", "missing key \"input\" (what the worker is asked)");
    } else if (!j["input"].is_string() || j["input"].get<std::string>().empty()) {
      fail("input", "expected \"input\" to be a non-empty string, found " + j["input"].dump());
    } else {
      c.input = j["input"].get<std::string>();
    }
    std::vector<std::string> given;  // the expectation keys present, in kExpectations order
    for (const char* k : kExpectations) {
      if (j.contains(k)) given.emplace_back(k);
    }
    if (given.size() > 1) {
      fail(given[1], "a case has exactly one expectation, found both " + Quote(given[0]) + " and " + Quote(given[1]));
    } else if (given.empty()) {
      fail("", "missing an expectation: give \"label\" (the answer it must keep), \"refuse\": true (it must "
               "refuse), \"must_contain\" (a required string) or \"must_not_contain\" (a forbidden string)");
    } else if (given[0] == "refuse") {
      if (!j["refuse"].is_boolean() || !j["refuse"].get<bool>()) {
        fail("refuse", "expected \"refuse\": true, found " + j["refuse"].dump() +
                           " (to require an answer, give \"label\" or \"must_contain\" instead)");
      } else {
        c.refuse = true;
      }
    } else {
      const std::string& k = given[0];
      if (!j[k].is_string() || j[k].get<std::string>().empty()) {
        fail(k, "expected " + Quote(k) + " to be a non-empty string, found " + j[k].dump());
      } else {
        const std::string v = j[k].get<std::string>();
        (k == "label" ? c.label : k == "must_contain" ? c.must_contain : c.must_not_contain) = v;
      }
    }
    if (j.contains("grader")) {
      const json& g = j["grader"];
      if (!g.is_string() || (g.get<std::string>() != "exact" && g.get<std::string>() != "judge")) {
        fail("grader", "expected \"grader\" to be \"exact\" or \"judge\", found " + g.dump());
      } else if (j.contains("label")) {
        fail("grader", "a \"label\" case is always compared exactly; \"grader\" applies to \"refuse\", "
                       "\"must_contain\" and \"must_not_contain\"");
      } else {
        c.grader = g.get<std::string>();
        c.grader_column = ColumnOf(line, "grader");
      }
    }
    c.id = std::to_string(n);
    if (j.contains("id")) {
      const json& id = j["id"];
      if (id.is_string() && !id.get<std::string>().empty()) {
        c.id = id.get<std::string>();
      } else if (id.is_number_integer()) {
        c.id = id.dump();
      } else {
        fail("id", "expected \"id\" to be a non-empty string or an integer, found " + id.dump());
      }
    }
    if (auto [it, fresh] = ids.emplace(c.id, n); !fresh) {
      fail(j.contains("id") ? "id" : "", "case id " + Quote(c.id) + " is already the id of the case on line " +
                                             std::to_string(it->second) + "; ids must be unique");
    }
    if (!bad) r.cases.push_back(std::move(c));
  }
  if (r.errors.empty() && r.cases.empty()) {
    r.errors.push_back(At(file, 1, 1, "the constitution has no cases; expected one JSON object per line"));
  }
  if (!r.errors.empty()) r.cases.clear();
  return r;
}

ConstitutionLoad LoadConstitutionFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    ConstitutionLoad r;
    r.errors.push_back(At(path, 0, 0, "cannot open the constitution file"));
    return r;
  }
  std::string text;
  text.resize(kMaxConstitutionBytes + 1);
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(f.gcount()));
  if (text.size() > kMaxConstitutionBytes) {
    ConstitutionLoad r;
    r.errors.push_back(At(path, 0, 0, "the constitution file is larger than " +
                                          std::to_string(kMaxConstitutionBytes >> 20) + " MiB"));
    return r;
  }
  return ParseConstitution(text, path);
}

}  // namespace kaizen::config
