#include "agents/datagen/datagen_settings.h"

#include <catch2/catch.hpp>

#include "config/manifest_schema.h"

namespace kaizen::agents {

TEST_CASE("datagen settings: keys left out are the manifest schema's defaults, keys set win", "[datagen][settings]") {
  const DatagenSettings d = DatagenSettings::FromAgentSettings(nlohmann::json::object());
  CHECK(d.concurrency == config::SchemaDefault("spec.datagen.concurrency").get<int>());
  CHECK(d.validation_fraction == config::SchemaDefault("spec.datagen.validation_fraction").get<double>());
  CHECK(d.dedupe == config::SchemaDefault("spec.datagen.dedupe").get<bool>());
  CHECK(DatagenSettings::Name(d.inputs_since) == config::SchemaDefault("spec.datagen.inputs_since").get<std::string>());
  CHECK(d.collect_timeout_s == config::SchemaDefault("spec.datagen.collect_timeout_s").get<int64_t>());
  CHECK(d.carry_labels == config::SchemaDefault("spec.datagen.carry_labels").get<bool>());

  const DatagenSettings set =
      DatagenSettings::FromAgentSettings({{"inputs_since", "start"}, {"concurrency", 2}, {"carry_labels", false}});
  CHECK(set.inputs_since == DatagenSettings::InputsSince::kStart);
  CHECK(set.concurrency == 2);
  CHECK_FALSE(set.carry_labels);
}

}  // namespace kaizen::agents
