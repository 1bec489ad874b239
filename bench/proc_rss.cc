#include "bench/proc_rss.h"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace kaizen::bench {
namespace {

int64_t StatusField(const std::string& status, const std::string& field) {
  auto at = status.find(field + ":");
  return at == std::string::npos ? 0 : std::atoll(status.c_str() + at + field.size() + 1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ppid from /proc/PID/stat (the field after the parenthesised command).
pid_t ParentOf(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

std::vector<std::string> CmdLine(pid_t pid) {
  std::string raw = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  std::string cur;
  for (char c : raw) {
    if (c == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return args;
}

// "" while the child has not exec'd yet (its command line is still its parent's).
std::string NameOf(pid_t pid, const std::string& parent_name) {
  auto args = CmdLine(pid);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--id") return args[i + 1];
  }
  if (args.size() < 2 || args[1] == "agent" || args[1] == "up") return "";
  return parent_name + "/" + args[1];  // e.g. "training/train-model"
}

}  // namespace

int64_t ReadRssKib(pid_t pid) {
  return StatusField(ReadFile("/proc/" + std::to_string(pid) + "/status"), "VmRSS");
}

std::vector<std::pair<pid_t, std::string>> ProcessTree(pid_t root) {
  // Every process and its parent, then walk down from the root.
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      pid_t pid = std::atoi(e->d_name);
      if (pid > 0) children[ParentOf(pid)].push_back(pid);
    }
    ::closedir(d);
  }
  std::vector<std::pair<pid_t, std::string>> tree;
  std::vector<std::pair<pid_t, std::string>> todo = {{root, "runtime"}};
  while (!todo.empty()) {
    auto [pid, name] = todo.back();
    todo.pop_back();
    for (pid_t c : children[pid]) {
      std::string child = NameOf(c, name);
      todo.emplace_back(c, child == name ? "" : child);  // the same command line: forked, not exec'd yet
    }
    if (!name.empty()) tree.emplace_back(pid, name);  // else not yet the process it will be
  }
  return tree;
}

void RssTracker::Sample(pid_t root) {
  for (const auto& [pid, name] : ProcessTree(root)) {
    std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
    const int64_t rss = StatusField(status, "VmRSS");
    if (rss == 0) continue;  // gone, or a zombie
    RssStats& s = stats_[name];
    s.last_rss_kib = rss;
    s.max_rss_kib = std::max(s.max_rss_kib, rss);
    s.hwm_kib = std::max(s.hwm_kib, StatusField(status, "VmHWM"));
    ++s.samples;
  }
}

}  // namespace kaizen::bench
