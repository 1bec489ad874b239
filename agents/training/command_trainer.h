// The `command` training backend: a user's own training program (a LoRA
// fine-tuning script, a call to a training cluster) run as a child process.
//
// training.command is a template run by /bin/sh -c. Placeholders, each
// replaced by a single-quoted shell word:
//   {base_model}      path of the base (incumbent) model file
//   {base_version}    its version, e.g. v1
//   {dataset}         path of the cycle's dataset (JSONL, rows with "split")
//   {train}           path of a JSONL file with the dataset's train rows only
//   {validation}      path of a JSONL file with its validation rows only
//   {output_dir}      an empty directory the command writes its model into
//   {output_version}  the version the result is registered as, e.g. v2
//   {work_dir}        a scratch directory of this run (holds the above files)
//   {epochs}          training.epochs
//   {cycle_id}        the improvement cycle
// Text in '...' and `${NAME}` (shell parameter expansion) are left alone; in
// "..." a value is escaped for double quotes. Any other {name} is an error
// that lists the known ones.
//
// Output contract: exit code 0, and exactly one file under {output_dir} (any
// name; its extension is kept), or several and a `result {"model_file":
// "relative/path"}` line naming the model. Progress and result lines: see
// progress_line.h.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"

namespace kaizen::agents {

// The placeholders a command template may use, in the order documented above.
const std::vector<std::string>& CommandPlaceholders();

// Quotes `value` as one POSIX shell word.
std::string ShellQuote(const std::string& value);

// Replaces each {name} outside '...' with ShellQuote(values.at(name)) (in
// "...": escaped for double quotes). An unknown name, or one without a value,
// is InvalidArgument naming it and the known ones.
Result<std::string> ExpandCommandTemplate(const std::string& command_template,
                                          const std::map<std::string, std::string>& values);

struct CommandJobInput {
  std::string command_template;
  std::string base_model_path, base_version;
  std::string dataset_path;
  std::string output_version;
  std::string cycle_id;
  std::string work_dir;  // created (emptied first if it exists)
  int epochs = 1;
};

struct CommandJob {
  std::vector<std::string> argv;  // {"/bin/sh", "-c", expanded}
  std::string command;            // the expanded command line, for the log
  std::string work_dir, output_dir, train_file, validation_file;
  std::size_t train_rows = 0, validation_rows = 0, skipped_rows = 0;
};

// Creates the work dir, writes the train and validation files, expands the template.
Result<CommandJob> PrepareCommandJob(const CommandJobInput& input);

// The model file the finished command left in output_dir, by the contract
// above; `result` is the command's result line (may be null).
Result<std::string> FindCommandOutput(const std::string& output_dir, const nlohmann::json& result);

// The artifact extension for a model file: its own when short and
// alphanumeric ("safetensors", "gguf", "kzm"), else "bin".
std::string ArtifactExtension(const std::string& path);

}  // namespace kaizen::agents
