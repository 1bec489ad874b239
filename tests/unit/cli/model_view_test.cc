// What `kaizen describe model VERSION` shows.
#include <catch2/catch.hpp>

#include "runtime/cli/model_view.h"
#include "runtime/report/calibration.h"

using json = nlohmann::json;
using namespace kaizen;

namespace {

store::ModelRow ModelRowV2() {
  store::ModelRow r;
  r.version = "v2";
  r.parent = "v1";
  r.uri = "file:///state/artifacts/models/abc";
  r.sha256 = "abc123";
  r.status = store::ModelStatus::kServing;
  r.metrics_json = json{{"eval_accuracy", 0.91}, {"candidates", std::vector<double>(60, 0.125)}}.dump();
  r.created_ms = 1'800'000'000'000;
  return r;
}

json Calibrated() {
  std::vector<report::JudgedAnswer> a;
  for (int i = 0; i < 10; ++i) a.push_back({0.95, i < 7});  // overconfident: 0.95 said, 0.7 right
  for (int i = 0; i < 4; ++i) a.push_back({0.42, i < 2});
  json c = report::ComputeCalibration(a).ToJson();
  c["answers"] = 20;
  c["by_feedback"] = 13;
  c["by_teacher"] = 1;
  return c;
}

}  // namespace

TEST_CASE("describe model shows the registry entry and its metrics", "[cli]") {
  json m = cli::ModelDescription(ModelRowV2(), Calibrated());
  CHECK(m["version"] == "v2");
  CHECK(m["parent"] == "v1");
  CHECK(m["status"] == "serving");
  CHECK(m["metrics"]["eval_accuracy"] == Approx(0.91));
  CHECK(m["calibration"]["judged"] == 14);
  const std::string text = cli::FormatModelDescription(m);
  INFO(text);
  CHECK(text.rfind("model v2: serving   from v1   created ", 0) == 0);
  CHECK(text.find("  sha256              abc123\n") != std::string::npos);
  CHECK(text.find("  eval_accuracy       0.91\n") != std::string::npos);
  CHECK(text.find("  candidates          (60 entries; -o json shows them)\n") != std::string::npos);  // a long list is not printed

  store::ModelRow bad = ModelRowV2();
  bad.metrics_json = "not json";
  CHECK(cli::ModelDescription(bad, Calibrated())["metrics"] == "not json");
}

TEST_CASE("describe model prints the ECE the judged answers and a reliability table", "[cli]") {
  const std::string text = cli::FormatModelDescription(cli::ModelDescription(ModelRowV2(), Calibrated()));
  INFO(text);
  // ECE: 10/14 * |0.7 - 0.95| + 4/14 * |0.5 - 0.42| = 0.2014...
  CHECK(text.find("  ECE                 0.201 (expected calibration error over 10 confidence bins)\n") !=
        std::string::npos);
  CHECK(text.find("  judged answers      14 of 20 (13 rated, 1 deferred: judged against the teacher)\n") !=
        std::string::npos);
  CHECK(text.find("(overconfident)") != std::string::npos);
  CHECK(text.find("  confidence   answers  mean conf  accuracy\n") != std::string::npos);
  CHECK(text.find("  0.9-1.0           10      0.950     0.700\n") != std::string::npos);
  CHECK(text.find("  0.4-0.5            4      0.420     0.500\n") != std::string::npos);
  CHECK(text.find("0.0-0.1") == std::string::npos);  // empty bins are left out
}

TEST_CASE("describe model says when nothing could be judged", "[cli]") {
  json c = report::ComputeCalibration({}).ToJson();
  c["answers"] = 5;
  const std::string text = cli::FormatModelDescription(cli::ModelDescription(ModelRowV2(), c));
  INFO(text);
  CHECK(text.find("nothing to judge yet: none of the 5 answers by v2 was rated or deferred to a teacher") !=
        std::string::npos);
  CHECK(text.find("ECE") == std::string::npos);
}
