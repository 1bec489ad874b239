#include "agents/training/log_follower.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace kaizen::agents {

LogFollower::LogFollower(std::string path, std::size_t tail_lines)
    : path_(std::move(path)), tail_lines_(tail_lines == 0 ? 1 : tail_lines) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path_, ec);
  offset_ = exists ? std::filesystem::file_size(path_, ec) : 0;
  if (ec) offset_ = 0;
}

void LogFollower::Read(const LineFn& on_line) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  offset_ += chunk.size();
  partial_ += chunk;
  std::size_t start = 0, nl;
  while ((nl = partial_.find('\n', start)) != std::string::npos) {
    std::string line = partial_.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    tail_.push_back(line);
    if (tail_.size() > tail_lines_) tail_.pop_front();
    if (on_line) on_line(line);
  }
  partial_.erase(0, start);
}

std::vector<std::string> LogFollower::Tail() const {
  std::vector<std::string> out(tail_.begin(), tail_.end());
  if (!partial_.empty()) out.push_back(partial_);
  if (out.size() > tail_lines_) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(tail_lines_));
  return out;
}

}  // namespace kaizen::agents
