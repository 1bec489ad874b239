#include "agents/models/jsonl_dataset.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agents/models/utf8.h"

namespace kaizen::models {
namespace {

constexpr std::size_t kMaxErrorsKept = 10;

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// The string at `key`, or nullptr when absent or not a string.
const std::string* StringField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// Reads one line (without its '\n') into `line`, keeping at most `max`
// bytes: the rest of a longer line is read past and `too_long` set. False at
// the end of the input.
bool ReadLine(std::istream& in, std::string& line, std::size_t max, bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* buf = in.rdbuf();
  bool any = false;
  for (int c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
    any = true;
    if (c == '\n') return true;
    if (line.size() < max) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  in.setstate(std::ios::eofbit);
  return any;
}

}  // namespace

Result<JsonlDataset> LoadJsonlExamples(const std::string& path, std::string_view split,
                                       const std::vector<std::string>& domains) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::InvalidArgument("dataset " + path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("dataset " + path + ": no such file");
    return Status::IOError("dataset " + path + ": " + std::strerror(err));
  }

  JsonlDataset out;
  auto note = [&](std::size_t& counter, const std::string& what) {
    ++counter;
    if (out.errors.size() < kMaxErrorsKept) {
      out.errors.push_back("line " + std::to_string(out.lines) + ": " + what);
    }
  };

  std::string line;
  bool too_long = false;
  while (ReadLine(in, line, kMaxJsonlLineBytes, too_long)) {
    ++out.lines;
    if (too_long) {
      note(out.too_long, "longer than " + std::to_string(kMaxJsonlLineBytes) + " bytes");
      continue;
    }
    if (IsBlank(line)) {
      ++out.empty_lines;
      continue;
    }
    if (!IsValidUtf8(line)) {
      note(out.bad_utf8, "not valid UTF-8");
      continue;
    }
    nlohmann::json obj = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!obj.is_object()) {
      note(out.bad_json, "not a JSON object");
      continue;
    }
    const std::string* text = StringField(obj, "text");
    const std::string* label = StringField(obj, "label");
    if (label == nullptr) label = StringField(obj, "intent");
    if (text == nullptr || label == nullptr || label->empty()) {
      note(out.bad_record, "needs a string \"text\" and a non-empty string \"label\" or \"intent\"");
      continue;
    }
    if (!split.empty()) {
      const std::string* record_split = StringField(obj, "split");
      if (record_split == nullptr || *record_split != split) {
        ++out.filtered_out;
        continue;
      }
    }
    if (!domains.empty()) {
      const std::string* domain = StringField(obj, "domain");
      if (domain == nullptr || std::find(domains.begin(), domains.end(), *domain) == domains.end()) {
        ++out.filtered_out;
        continue;
      }
    }
    out.examples.push_back({*text, *label});
  }
  if (in.bad()) return Status::IOError("dataset " + path + ": read error after line " + std::to_string(out.lines));
  return out;
}

}  // namespace kaizen::models
