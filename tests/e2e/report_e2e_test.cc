// The operator's history commands on a real run: the reduced intent-router
// scenario runs to its end, then, with the cluster down, `kaizen cycles`,
// `kaizen describe cycle` and `kaizen report` read its store. The HTML report
// is opened in headless Chromium: its screenshot must show the charts, i.e.
// differ clearly from a screenshot of the same page with the charts blanked.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using kaizen::testing::ReadFile;
using kaizen::testing::WaitFor;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Each chart (an outer <svg xmlns> holding one nested plot <svg>) replaced by
// an empty box of the same size, so the page keeps its layout.
std::string BlankCharts(const std::string& html) {
  std::string out;
  size_t at = 0;
  while (true) {
    size_t p = html.find("<svg xmlns", at);
    if (p == std::string::npos) break;
    size_t inner_close = html.find("</svg>", p);
    size_t close = html.find("</svg>", inner_close + 6);
    REQUIRE(close != std::string::npos);
    out += html.substr(at, p - at);
    out += "<div style=\"width:760px;height:300px;margin:10px 0 14px;border:1px solid #ddd;background:#fff\"></div>";
    at = close + 6;
  }
  return out + html.substr(at);
}

// PNG width and height from the IHDR chunk; {0, 0} if it is not a PNG.
std::pair<uint32_t, uint32_t> PngSize(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be = [&](size_t i) {
    return (uint32_t(uint8_t(png[i])) << 24) | (uint32_t(uint8_t(png[i + 1])) << 16) | (uint32_t(uint8_t(png[i + 2])) << 8) |
           uint32_t(uint8_t(png[i + 3]));
  };
  return {be(16), be(20)};
}

// Headless Chromium's screenshot of a local HTML file: the top 900x1100
// pixels, where the run's three charts are.
std::string Screenshot(const std::string& html_path, const std::string& png_path, const std::string& profile) {
  const std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                          "--no-first-run --user-data-dir=" + profile + " --window-size=900,1100 --screenshot=" +
                          png_path + " file://" + html_path + " >/dev/null 2>&1";
  INFO(cmd);
  CHECK(std::system(cmd.c_str()) == 0);
  return ReadFile(png_path);
}

}  // namespace

TEST_CASE("after a real run, cycles/describe/report tell the cycle's story with the cluster down, and the report's "
          "charts show in headless Chromium",
          "[e2e]") {
  REQUIRE(std::system("command -v chromium >/dev/null") == 0);  // scripts/install-deps.sh installs it
  TestCluster cluster("report-e2e");
  std::ofstream(cluster.manifest_path()) << ScenarioManifest("report-e2e", 0.0);
  REQUIRE(cluster.Up().exit_code == 0);
  const std::string summary = cluster.state_dir() + "/summary.json";
  bool done = WaitFor([&] { return fs::exists(summary); }, 240000);
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(done);
  const std::string sd = " --state-dir " + cluster.state_dir();

  // kaizen cycles
  auto cycles = Kaizen("cycles -o json" + sd);
  REQUIRE(cycles.exit_code == 0);
  json cj = json::parse(cycles.out);
  INFO(cycles.out);
  REQUIRE(cj.size() >= 1);
  const json& c1 = cj[0];
  CHECK(c1["id"] == "c1");
  CHECK(c1["trigger"]["policy"] == "performance");
  CHECK((c1["outcome"] == "promoted" || c1["outcome"] == "rolled_back"));
  CHECK(c1["stages"].size() >= 7);
  auto table = Kaizen("cycles" + sd);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("CYCLE") != std::string::npos);
  CHECK(table.out.find("c1    ") != std::string::npos);

  // kaizen describe cycle
  auto describe = Kaizen("describe cycle c1 -o json" + sd);
  REQUIRE(describe.exit_code == 0);
  json st = json::parse(describe.out);
  CHECK(st["trigger_evidence"]["statistic"].get<double>() >= st["trigger_evidence"]["threshold"].get<double>());
  REQUIRE(st["attempts_detail"].size() >= 1);
  const json& a = st["attempts_detail"][0];
  CHECK(a["plan"]["strategy"] == "teacher_samples");
  CHECK(a["dataset"]["teacher_calls"].get<int64_t>() > 0);
  CHECK(a["training"]["progress"].size() >= 2);
  CHECK(a["evaluation"]["pass"] == true);
  REQUIRE(st["rollout"]["steps"].size() >= 1);
  const json& arms = st["rollout"]["steps"][0]["arms"];
  CHECK(arms[1]["arm"] == "candidate");
  CHECK(arms[1]["tasks"].get<int64_t>() > 0);
  CHECK(arms[0]["tasks"].get<int64_t>() > arms[1]["tasks"].get<int64_t>());  // the incumbent keeps most traffic
  CHECK(st["rollout"]["decision"]["reason"].get<std::string>().size() > 0);
  auto text = Kaizen("describe cycle c1" + sd);
  CHECK(text.exit_code == 0);
  for (const char* s : {"Trigger", "Plan (attempt 1)", "Data (attempt 1)", "Training (attempt 1)", "Evaluation (attempt 1)",
                        "A/B test", "Decision: "}) {
    INFO(s);
    CHECK(text.out.find(s) != std::string::npos);
  }
  CHECK(Kaizen("describe cycle c99" + sd + " 2>/dev/null").exit_code == 2);

  // kaizen report, then Chromium
  const std::string html_path = cluster.state_dir() + "/../report.html";
  auto rep = Kaizen("report -o " + html_path + sd);
  REQUIRE(rep.exit_code == 0);
  const std::string html = ReadFile(html_path);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find(">drift (task 1500)<") != std::string::npos);
  CHECK(html.find(">trigger c1<") != std::string::npos);
  const std::string blank_path = cluster.state_dir() + "/../report-blank.html";
  const std::string blank = BlankCharts(html);
  CHECK(blank.find("<svg") == std::string::npos);
  std::ofstream(blank_path) << blank;

  const std::string png_path = fs::absolute("report_e2e_screenshot.png").string();  // kept for people to look at
  const std::string profile = cluster.state_dir() + "/../chromium";
  const std::string shot = Screenshot(fs::absolute(html_path).lexically_normal().string(), png_path, profile);
  const std::string blank_shot =
      Screenshot(fs::absolute(blank_path).lexically_normal().string(), cluster.state_dir() + "/../blank.png", profile);
  std::printf("report screenshot: %s (%zu bytes; the page with its charts blanked: %zu bytes)\n", png_path.c_str(),
              shot.size(), blank_shot.size());
  CHECK(PngSize(shot) == std::pair<uint32_t, uint32_t>{900, 1100});
  CHECK(PngSize(blank_shot) == std::pair<uint32_t, uint32_t>{900, 1100});
  // Lines, text and markers take far more bytes to encode than empty boxes.
  CHECK(shot.size() > 2 * blank_shot.size());
}
