// LabelLedger: the teacher answers one datagen job has paid for, appended to
// a file as they come (<state_dir>/datagen/ledger-<cycle>-<attempt>.jsonl).
// A datagen killed mid-job and asked again (the same cycle and attempt)
// reads it back, so it neither pays again for an input it already bought an
// answer for, nor drops what it paid from the cycle's spend: the job's
// teacher_calls and cost count every paid answer, before and after the
// crash, and the calls it may still make are the budget minus those.
//
// One line per answer: {"text", "label", "cost"}, written with one write(2)
// on an O_APPEND descriptor, so a crash of the process keeps every line it
// wrote; a power cut may lose the last ones (those calls are then counted
// low, never twice). A torn last line is skipped on load. Thread-safe:
// LabelAll's threads record at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/base/result.h"

namespace kaizen::agents {

class LabelLedger {
 public:
  // Opens (creating the file and its folder) and reads what earlier
  // processes recorded; IOError naming the file when it cannot.
  static Result<std::unique_ptr<LabelLedger>> Open(const std::string& path);
  struct Private {};  // only Open() makes one
  LabelLedger(Private, std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~LabelLedger();
  LabelLedger(const LabelLedger&) = delete;
  LabelLedger& operator=(const LabelLedger&) = delete;

  // The answer paid for `text`, if any.
  std::optional<std::string> Find(const std::string& text) const;
  // Records a paid answer (an empty label too: the call was paid).
  Status Record(const std::string& text, const std::string& label, double cost);

  int64_t calls() const;     // answers paid for this job, by every process
  double cost() const;
  int64_t recovered() const;  // of those, paid by an earlier process (read at Open)
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  const int fd_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> answers_;  // text -> label
  int64_t calls_ = 0, recovered_ = 0;
  double cost_ = 0;
};

}  // namespace kaizen::agents
