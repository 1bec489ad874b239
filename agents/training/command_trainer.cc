#include "agents/training/command_trainer.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace kaizen::agents {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::vector<std::string>& CommandPlaceholders() {
  static const std::vector<std::string> names = {"base_model", "base_version", "dataset",  "train",
                                                 "validation", "output_dir",   "output_version",
                                                 "work_dir",   "epochs",       "cycle_id"};
  return names;
}

std::string ShellQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

namespace {

bool IsNameChar(char c) { return std::islower(static_cast<unsigned char>(c)) || c == '_'; }

std::string KnownList() {
  std::string s;
  for (const auto& n : CommandPlaceholders()) s += (s.empty() ? "{" : ", {") + n + "}";
  return s;
}

}  // namespace

// Inside "..." a value is escaped for double quotes instead of single-quoted.
std::string DoubleQuoteEscape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '$' || c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Result<std::string> ExpandCommandTemplate(const std::string& tmpl, const std::map<std::string, std::string>& values) {
  std::string out;
  bool in_single = false, in_double = false;
  for (std::size_t i = 0; i < tmpl.size();) {
    const char c = tmpl[i];
    if (c == '\\' && !in_single && i + 1 < tmpl.size()) {
      out += tmpl.substr(i, 2);
      i += 2;
      continue;
    }
    if (c == '\'' && !in_double) in_single = !in_single;
    if (c == '"' && !in_single) in_double = !in_double;
    // '...' is literal to the shell, and so to us (awk '{print}'); ${NAME} is the shell's.
    if (c != '{' || in_single || (i > 0 && tmpl[i - 1] == '$')) {
      out += tmpl[i++];
      continue;
    }
    std::size_t j = i + 1;
    while (j < tmpl.size() && IsNameChar(tmpl[j])) ++j;
    if (j == i + 1 || j >= tmpl.size() || tmpl[j] != '}') {  // not a placeholder: "{", "{ a }", "{x"
      out += tmpl[i++];
      continue;
    }
    const std::string name = tmpl.substr(i + 1, j - i - 1);
    auto it = values.find(name);
    if (it == values.end()) {
      return Status::InvalidArgument("training.command uses the unknown placeholder {" + name + "}; known: " +
                                     KnownList());
    }
    out += in_double ? DoubleQuoteEscape(it->second) : ShellQuote(it->second);
    i = j + 1;
  }
  return out;
}

Result<CommandJob> PrepareCommandJob(const CommandJobInput& in) {
  if (in.command_template.empty()) {
    return Status::InvalidArgument("training.backend is command but training.command is empty");
  }
  CommandJob job;
  job.work_dir = fs::absolute(in.work_dir).string();
  job.output_dir = job.work_dir + "/output";
  job.train_file = job.work_dir + "/train.jsonl";
  job.validation_file = job.work_dir + "/validation.jsonl";
  std::error_code ec;
  fs::remove_all(job.work_dir, ec);
  fs::create_directories(job.output_dir, ec);
  if (ec) return Status::IOError("cannot create " + job.output_dir + ": " + ec.message());

  std::ifstream data(in.dataset_path);
  if (!data) return Status::NotFound("cannot read the dataset " + in.dataset_path);
  std::ofstream train(job.train_file), validation(job.validation_file);
  if (!train || !validation) return Status::IOError("cannot write the split files in " + job.work_dir);
  std::string line;
  while (std::getline(data, line)) {
    if (line.empty()) continue;
    json row = json::parse(line, nullptr, false);
    if (!row.is_object()) {
      ++job.skipped_rows;
      continue;
    }
    if (row.value("split", "train") == "validation") {
      validation << line << '\n';
      ++job.validation_rows;
    } else {
      train << line << '\n';
      ++job.train_rows;
    }
  }
  train.close();
  validation.close();
  if (!train || !validation) return Status::IOError("writing the split files in " + job.work_dir + " failed");

  const std::map<std::string, std::string> values = {
      {"base_model", in.base_model_path}, {"base_version", in.base_version},
      {"dataset", in.dataset_path},       {"train", job.train_file},
      {"validation", job.validation_file}, {"output_dir", job.output_dir},
      {"output_version", in.output_version}, {"work_dir", job.work_dir},
      {"epochs", std::to_string(in.epochs)}, {"cycle_id", in.cycle_id}};
  auto cmd = ExpandCommandTemplate(in.command_template, values);
  if (!cmd.ok()) return cmd.status();
  job.command = *cmd;
  job.argv = {"/bin/sh", "-c", job.command};
  return job;
}

Result<std::string> FindCommandOutput(const std::string& output_dir, const json& result) {
  const fs::path root = fs::absolute(output_dir);
  std::error_code ec;
  if (result.is_object() && result.contains("model_file")) {
    if (!result["model_file"].is_string()) {
      return Status::InvalidArgument("the result line's model_file must be a string path relative to {output_dir}");
    }
    const fs::path rel(result["model_file"].get<std::string>());
    const fs::path p = (root / rel).lexically_normal();
    auto [r_end, _] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
    if (rel.is_absolute() || r_end != root.end()) {
      return Status::InvalidArgument("the result line's model_file '" + rel.string() + "' is outside {output_dir} " +
                                     root.string());
    }
    if (!fs::is_regular_file(p, ec)) {
      return Status::NotFound("the result line names model_file '" + rel.string() + "' but " + p.string() +
                              " is not a file");
    }
    return p.string();
  }
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path().string());
  }
  if (ec) return Status::IOError("cannot list " + root.string() + ": " + ec.message());
  if (files.empty()) {
    return Status::NotFound("the command exited 0 but wrote no file in {output_dir} (" + root.string() +
                            "); it must write its model there");
  }
  if (files.size() > 1) {
    std::sort(files.begin(), files.end());
    std::string names;
    for (std::size_t i = 0; i < files.size() && i < 5; ++i) {
      names += (i ? ", " : "") + fs::path(files[i]).lexically_relative(root).string();
    }
    if (files.size() > 5) names += ", ...";
    return Status::InvalidArgument("the command left " + std::to_string(files.size()) + " files in {output_dir} (" +
                                   names + "); write one model file (pack a directory, e.g. with tar) or name it "
                                   "with a line: result {\"model_file\": \"<path relative to output_dir>\"}");
  }
  return files.front();
}

std::string ArtifactExtension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  bool ok = !ext.empty() && ext.size() <= 16 &&
            std::all_of(ext.begin(), ext.end(), [](unsigned char c) { return std::isalnum(c); });
  return ok ? ext : "bin";
}

}  // namespace kaizen::agents
