// kaizen describe model VERSION: a model version's registry entry and the
// calibration of its confidence on live traffic, from the store (read-only).
#include <cstdio>

#include "runtime/cli/commands.h"
#include "runtime/cli/model_view.h"
#include "runtime/cli/stored_cluster.h"
#include "runtime/report/model_calibration.h"

namespace kaizen::cli {

int RunDescribeModel(const DescribeOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("describe", o.state_dir, &code);
  if (!cluster) return code;
  const store::Store& store = *cluster->store;
  auto row = store.GetModel(o.id);
  if (!row.ok()) {
    std::fprintf(stderr, "kaizen describe model: cannot read the model registry: %s\n", row.status().message().c_str());
    return kExitFailure;
  }
  if (!*row) {
    auto all = store.ListModels();
    std::string known;
    if (all.ok()) {
      for (const auto& m : *all) known += (known.empty() ? "" : ", ") + m.version;
    }
    std::fprintf(stderr, "kaizen describe model: no model version '%s' in the registry (%s)\n", o.id.c_str(),
                 known.empty() ? "it has none yet" : ("it has " + known).c_str());
    return kExitInvalid;
  }
  auto calibration = report::LoadModelCalibration(store, o.id);
  if (!calibration.ok()) {
    std::fprintf(stderr, "kaizen describe model: cannot read the journal: %s\n",
                 calibration.status().message().c_str());
    return kExitFailure;
  }
  const nlohmann::json model = ModelDescription(**row, *calibration);
  if (o.output == "json") std::printf("%s\n", model.dump(2).c_str());
  else std::fputs(FormatModelDescription(model).c_str(), stdout);
  return kExitOk;
}

}  // namespace kaizen::cli
