// Carried labels: the rows of the dataset that made the version being
// improved, added to the new cycle's dataset, so that what earlier cycles
// bought is not forgotten when the next one fine-tunes on new rows (replay
// covers only the worker's original training data). Carrying is transitive:
// each dataset holds the rows it carried, so the incumbent's own dataset is
// the whole lineage.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

#include "agents/datagen/dataset_writer.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

// Reads a dataset written by WriteDatasetJsonl. Lines that are not an object
// with a string text and label, or whose split is not train/validation, are
// skipped and counted in *skipped. A file that cannot be opened is an error.
Result<std::vector<DatasetRow>> ReadDatasetJsonl(const std::string& path, std::size_t* skipped = nullptr);

// Appends the carried rows whose input (NormalizeText) is not among `rows`,
// all as "train" rows, with selected_by "carried". Returns how many were added.
// Never as validation rows: the version being improved was refitted on its
// dataset's validation rows, so judging the candidate against it there would
// favour the incumbent; the verdict is on this cycle's new rows only.
std::size_t AppendCarried(std::vector<DatasetRow>& rows, std::vector<DatasetRow> carried);

// The normalized inputs of rows: already labelled, so not worth a teacher call.
std::unordered_set<std::string> LabelledInputs(const std::vector<DatasetRow>& rows);

}  // namespace kaizen::agents
