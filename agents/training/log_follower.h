// LogFollower: reads the lines a trainer appends to its log, a little at a
// time (the training agent polls every 100 ms), and keeps the last few so a
// failure can quote them. Used for a local child's log and for a Slurm job's
// output file alike: both only ever append.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace kaizen::agents {

class LogFollower {
 public:
  using LineFn = std::function<void(const std::string& line)>;

  // Follows `path` from its current end: the log may hold earlier runs.
  LogFollower(std::string path, std::size_t tail_lines);
  // Hands each complete new line (without "\n", empty ones skipped) to on_line.
  void Read(const LineFn& on_line);
  // The last lines, an unfinished last line included.
  std::vector<std::string> Tail() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
  std::deque<std::string> tail_;
  std::size_t tail_lines_;
};

}  // namespace kaizen::agents
