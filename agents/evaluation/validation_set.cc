#include "agents/evaluation/validation_set.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

Result<ValidationSet> LoadValidationRows(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("dataset file " + path + " does not exist");
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read dataset file " + path);
  ValidationSet set;
  std::string line;
  while (std::getline(in, line)) {
    ++set.lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      ++set.skipped;
      continue;
    }
    auto split = j.find("split");
    if (split == j.end() || !split->is_string() || split->get<std::string>() != "validation") continue;
    auto text = j.find("text");
    auto label = j.find("label");
    if (text == j.end() || !text->is_string() || label == j.end() || !label->is_string() ||
        label->get<std::string>().empty()) {
      ++set.skipped;
      continue;
    }
    ValidationRow row{text->get<std::string>(), label->get<std::string>(), ""};
    if (auto tags = j.find("tags"); tags != j.end() && tags->is_object()) {
      if (auto d = tags->find("domain"); d != tags->end() && d->is_string()) row.domain = d->get<std::string>();
    }
    if (row.domain.empty()) {
      if (auto d = j.find("domain"); d != j.end() && d->is_string()) row.domain = d->get<std::string>();
    }
    set.rows.push_back(std::move(row));
  }
  if (in.bad()) return Status::IOError("error reading dataset file " + path);
  return set;
}

}  // namespace kaizen::agents
