// Merges the benchmarks' JSON files into one results file:
//   results_merge --out FILE [--meta key=value]... bench1.json bench2.json ...
// {"meta": {...}, "benches": [<each file>], "figures": [<every figure, flat>]}
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  std::string out_path;
  nlohmann::json meta = nlohmann::json::object(), benches = nlohmann::json::array(), figures = nlohmann::json::array();
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out_path = argv[++i];
    } else if (std::strcmp(argv[i], "--meta") == 0 && i + 1 < argc) {
      std::string kv = argv[++i];
      auto eq = kv.find('=');
      if (eq != std::string::npos) meta[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else {
      std::ifstream in(argv[i]);
      auto j = nlohmann::json::parse(in, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        std::fprintf(stderr, "results_merge: %s is not a benchmark's JSON; skipped\n", argv[i]);
        continue;
      }
      for (const auto& f : j.value("figures", nlohmann::json::array())) figures.push_back(f);
      benches.push_back(std::move(j));
    }
  }
  if (out_path.empty()) {
    std::fprintf(stderr, "usage: results_merge --out FILE [--meta key=value]... bench.json...\n");
    return 2;
  }
  std::ofstream out(out_path);
  out << nlohmann::json{{"meta", meta}, {"figures", figures}, {"benches", benches}}.dump(2) << "\n";
  int targets = 0, met = 0;
  std::string unmet;
  for (const auto& f : figures) {
    if (!f.contains("target_met")) continue;
    ++targets;
    if (f["target_met"].get<bool>()) ++met;
    else unmet += " " + f.value("name", "?");
  }
  std::fprintf(stderr, "# %zu figures; targets met: %d of %d%s%s\n", figures.size(), met, targets,
               unmet.empty() ? "" : "; not met:", unmet.c_str());
  return out ? 0 : 1;
}
