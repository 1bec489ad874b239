// Teacher: the labeler datagen buys answers from. A builtin-classifier teacher
// is trained from its manifest entry's "train" data (once; the model is cached
// under <state_dir>/artifacts/teachers/ by a hash of its configuration) and
// answers with its prediction, except that with probability `noise` it answers
// a uniformly random label of its own (a bad teacher has noise 1.0).
//
// An openai teacher asks an OpenAI-compatible LLM (teachers[i].openai) with the
// prompt built from teachers[i].prompt and .train (agents/models/llm/
// prompt_config.h); calls are tagged "datagen". Its ChatClient is bounded by
// the tighter of the teacher's and the openai block's max_concurrency and
// rate_limit_per_s, and each call costs cost_per_call plus its token prices.
// A failed call or a reply that is no label of the set answers "" (datagen
// skips it). Noise applies to both backends.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/datagen/candidate_selector.h"
#include "agents/datagen/dataset_writer.h"
#include "agents/datagen/label_ledger.h"
#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/models/text_classifier.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

struct TeacherSpec {
  std::string name;
  enum class Backend { kBuiltinClassifier, kOpenAi };
  Backend backend = Backend::kBuiltinClassifier;
  double cost_per_call = 0;
  int max_concurrency = 1;
  double rate_limit_per_s = 0;  // 0 = unlimited
  double noise = 0;
  std::string data_path, split;
  std::vector<std::string> domains;
  std::string config_hash;      // sha256 of the teacher entry and its data path
  nlohmann::json entry;         // the manifest entry (openai backend: openai, prompt, train)
  nlohmann::json data;          // spec.data, for the openai prompt's train data
};

// The first entry of settings["cluster"]["spec"]["teachers"]. FailedPrecondition
// when there is none, or when its backend or data cannot be used.
Result<TeacherSpec> FirstTeacher(const nlohmann::json& settings);
// The entry named `name` ("" = the first), as FirstTeacher; NotFound names the
// teachers there are.
Result<TeacherSpec> NamedTeacher(const nlohmann::json& settings, const std::string& name);

// One answer and what it cost.
struct TeacherAnswer {
  std::string label;  // "" when the teacher could not answer (a failed call, a reply that is no label)
  double cost = 0;    // builtin-classifier: cost_per_call; openai: the call's price (0 for a noise draw, no call)
  Status status;      // why label is "" (openai)
};

class Teacher {
 public:
  // Loads the cached model, or trains it and writes the cache; for openai,
  // builds the prompt and the client (no network call yet).
  static Result<Teacher> LoadOrTrain(const TeacherSpec& spec, const std::string& state_dir);
  Teacher(TeacherSpec spec, std::shared_ptr<const models::TextClassifier> model)
      : spec_(std::move(spec)), model_(std::move(model)) {}
  Teacher(TeacherSpec spec, std::shared_ptr<models::llm::ChatClient> client,
          std::shared_ptr<const models::llm::PromptModel> prompt)
      : spec_(std::move(spec)), client_(std::move(client)), prompt_(std::move(prompt)) {}

  const TeacherSpec& spec() const { return spec_; }
  // The labels it answers from: the classifier's, or the prompt's (empty for
  // a free-text LLM teacher).
  const std::vector<std::string>& labels() const;
  // One answer. `draw` makes the noise reproducible: the same draw, the same answer.
  std::string Label(const std::string& text, uint64_t draw, const std::string& tag = "datagen") const;
  // The same answer with its cost (the worker's deferral charges it per task).
  TeacherAnswer Answer(const std::string& text, uint64_t draw, const std::string& tag = "datagen") const;

  // Labels every text with at most `concurrency` threads and the teacher's rate
  // limit; `done` counts answers as they come (for progress).
  // An openai teacher's calls are tagged `tag` (e.g. "datagen:<cycle id>").
  // With a `ledger`, a text it holds is answered from it (no call), and every
  // paid answer is recorded in it as it comes.
  std::vector<std::string> LabelAll(const std::vector<std::string>& texts, int concurrency, uint64_t seed,
                                    std::atomic<std::size_t>* done, const std::string& tag = "datagen",
                                    LabelLedger* ledger = nullptr) const;

  // openai teacher: one free-text request (e.g. the prompt trainer's rewrite
  // request), sent as the user message after the teacher's system prompt,
  // tagged `tag`. FailedPrecondition for a builtin-classifier teacher.
  Result<std::string> Ask(const std::string& request, const std::string& tag = "training") const;
  // LLM calls, tokens and cost so far (zero for builtin-classifier).
  models::llm::Usage usage() const;
  models::llm::Usage usage_for(const std::string& tag) const;
  bool is_llm() const { return client_ != nullptr; }

 private:
  TeacherSpec spec_;
  std::shared_ptr<const models::TextClassifier> model_;
  std::shared_ptr<models::llm::ChatClient> client_;  // openai
  std::shared_ptr<const models::llm::PromptModel> prompt_;
};

// A selection labeled. A row whose candidate carries a correction is labeled
// with it (no teacher call; teacher "human:<source>", as a person's label
// answer is, or "deferral:<teacher>" for an answer the teacher gave at serve
// time, dropped when it was rated thumbs-down); the teacher labels the others, all at once through LabelAll
// (seeded by `seed`, tagged `tag`; an empty answer drops the row). `teacher`
// may be null: then only the corrected rows are kept.
struct LabeledSelection {
  std::vector<DatasetRow> rows;  // in selection order, split unset
  int64_t teacher_calls = 0;     // paid for the job: with a ledger, by every process
  int64_t answers_reused = 0;    // rows answered from the ledger (paid by an earlier process)
  int64_t over_budget = 0;       // rows dropped: the calls paid before left no budget for them
  int64_t corrections_used = 0;
  std::map<std::string, int64_t> corrected_by;  // correction source -> rows
  std::set<std::string> new_labels;             // corrections that are no label of the teacher's
};
// With a `ledger` (label_ledger.h), answers paid before are reused, and at
// most `call_budget` calls are paid in all (those in the ledger included;
// -1: no cap).
LabeledSelection LabelSelection(const std::vector<SelectedCandidate>& selected, const Teacher* teacher,
                                int concurrency, uint64_t seed, std::atomic<std::size_t>* done,
                                const std::string& tag = "datagen", LabelLedger* ledger = nullptr,
                                int64_t call_budget = -1);

}  // namespace kaizen::agents
