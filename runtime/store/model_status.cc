#include "runtime/store/model_status.h"

#include <array>
#include <ostream>
#include <string>

namespace kaizen::store {
namespace {

constexpr std::array kAll = {ModelStatus::kCandidate, ModelStatus::kServing, ModelStatus::kRetired,
                             ModelStatus::kRolledBack, ModelStatus::kRejected};

}  // namespace

const char* ModelStatusName(ModelStatus status) {
  switch (status) {
    case ModelStatus::kCandidate: return "candidate";
    case ModelStatus::kServing: return "serving";
    case ModelStatus::kRetired: return "retired";
    case ModelStatus::kRolledBack: return "rolled_back";
    case ModelStatus::kRejected: return "rejected";
  }
  return "unknown";  // not a ModelStatus (a cast from a bad integer)
}

Result<ModelStatus> ParseModelStatus(std::string_view name) {
  std::string known;
  for (ModelStatus s : kAll) {
    if (name == ModelStatusName(s)) return s;
    known += (known.empty() ? "" : ", ") + std::string(ModelStatusName(s));
  }
  return Status::InvalidArgument("unknown model status '" + std::string(name) + "' (known: " + known + ")");
}

std::ostream& operator<<(std::ostream& out, ModelStatus status) { return out << ModelStatusName(status); }

}  // namespace kaizen::store
