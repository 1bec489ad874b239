#include "agents/datagen/label_ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace kaizen::agents {

Result<std::unique_ptr<LabelLedger>> LabelLedger::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the folder of the label ledger " + path + ": " + ec.message());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open the label ledger " + path + ": " + std::strerror(errno));
  auto ledger = std::make_unique<LabelLedger>(Private{}, path, fd);
  std::ifstream in(path);
  std::string line;
  int64_t torn = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("text")) {
      ++torn;  // a line cut by a crash: that answer is asked again
      continue;
    }
    ledger->answers_[j.value("text", "")] = j.value("label", "");
    ++ledger->calls_;
    ledger->cost_ += j.value("cost", 0.0);
  }
  ledger->recovered_ = ledger->calls_;
  if (torn > 0) spdlog::warn("label ledger {}: {} unreadable lines skipped", path, torn);
  return ledger;
}

LabelLedger::~LabelLedger() { ::close(fd_); }

std::optional<std::string> LabelLedger::Find(const std::string& text) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = answers_.find(text);
  if (it == answers_.end()) return std::nullopt;
  return it->second;
}

Status LabelLedger::Record(const std::string& text, const std::string& label, double cost) {
  const std::string line = nlohmann::json{{"text", text}, {"label", label}, {"cost", cost}}.dump() + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  answers_[text] = label;
  ++calls_;
  cost_ += cost;
  // One write: with O_APPEND the line lands whole after the others.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    return Status::IOError("cannot append to the label ledger " + path_ + ": " +
                           (n < 0 ? std::string(std::strerror(errno)) : "short write"));
  }
  return Status::OK();
}

int64_t LabelLedger::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

double LabelLedger::cost() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cost_;
}

int64_t LabelLedger::recovered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recovered_;
}

}  // namespace kaizen::agents
