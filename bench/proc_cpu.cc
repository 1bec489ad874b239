#include "bench/proc_cpu.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kaizen::bench {
namespace {

std::string ReadProcFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// From .../schedstat ("run_ns wait_ns slices"), else utime + stime of
// .../stat; false if the thread is gone.
bool ReadThreadTimes(const std::string& task_dir, ThreadTimes* t) {
  static const double kTick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::istringstream sched(ReadProcFile(task_dir + "/schedstat"));
  long long run_ns = 0, wait_ns = 0;
  if (sched >> run_ns >> wait_ns) {
    t->run_s = static_cast<double>(run_ns) / 1e9;
    t->wait_s = static_cast<double>(wait_ns) / 1e9;
    return true;
  }
  const std::string stat = ReadProcFile(task_dir + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 0; i < 11 && rest >> field; ++i) {
  }  // state .. cmajflt
  long long utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return false;
  t->run_s = static_cast<double>(utime + stime) / kTick;
  t->wait_s = 0;
  return true;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

CpuSample SampleCpu(const std::vector<std::pair<pid_t, std::string>>& processes) {
  static const double kTick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  CpuSample s;
  for (const auto& [pid, name] : processes) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    const std::string own = Trimmed(ReadProcFile("/proc/" + std::to_string(pid) + "/comm"));
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    while (dirent* e = ::readdir(d)) {
      const pid_t tid = std::atoi(e->d_name);
      if (tid <= 0) continue;
      const std::string task = dir + "/" + e->d_name;
      ThreadTimes t;
      if (!ReadThreadTimes(task, &t)) continue;
      std::string thread = tid == pid ? "main" : Trimmed(ReadProcFile(task + "/comm"));
      if (tid != pid && thread == own) thread = "threads";
      ThreadTimes& sum = s.threads[name][thread];
      sum.run_s += t.run_s;
      sum.wait_s += t.wait_s;
    }
    ::closedir(d);
  }
  std::istringstream stat(ReadProcFile("/proc/stat"));
  std::string cpu;
  stat >> cpu;
  long long v[8] = {};
  for (long long& x : v) stat >> x;  // user nice system idle iowait irq softirq steal
  s.machine_busy_s = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / kTick;
  return s;
}

CpuUse CpuBetween(const CpuSample& before, const CpuSample& after, double wall_s) {
  CpuUse u;
  if (wall_s <= 0) return u;
  for (const auto& [process, threads] : after.threads) {
    auto was = before.threads.find(process);
    for (const auto& [thread, times] : threads) {
      ThreadTimes used = times;
      if (was != before.threads.end()) {
        auto it = was->second.find(thread);
        if (it != was->second.end()) {
          used.run_s -= it->second.run_s;
          used.wait_s -= it->second.wait_s;
        }
      }
      if (used.run_s > 0) {
        u.threads[process][thread] = used.run_s / wall_s;
        u.processes[process] += used.run_s / wall_s;
      }
      if (used.wait_s > 0) u.waiting[process] += used.wait_s / wall_s;
    }
  }
  u.machine = (after.machine_busy_s - before.machine_busy_s) / wall_s;
  return u;
}

}  // namespace kaizen::bench
