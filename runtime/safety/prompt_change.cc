#include "runtime/safety/prompt_change.h"

#include <cstdio>

#include "runtime/base/atomic_file.h"
#include "runtime/safety/token_edit_distance.h"

namespace kaizen::safety {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxModelBytes = 64u << 20;  // as agents/models/llm/prompt_model.h
constexpr double kShareEps = 1e-9;  // a share equal to its bound is within it

}  // namespace

std::string PercentText(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", share * 100);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s + "%";
}

std::string PromptTextOf(const json& m) {
  std::string text = m.value("system_prompt", "");
  const json labels = m.value("labels", json::array());
  if (labels.is_array() && !labels.empty()) {
    text += "\nLabels:";
    for (const auto& l : labels) text += " " + (l.is_string() ? l.get<std::string>() : l.dump());
  }
  for (const auto& e : m.value("examples", json::array())) {
    if (!e.is_object()) continue;
    text += "\n" + e.value("input", "") + "\n" + e.value("output", "");
  }
  return text;
}

Result<std::optional<std::string>> ReadPromptText(const std::string& path_or_uri) {
  const std::string scheme = "file://";
  if (path_or_uri.rfind(scheme, 0) != 0 && path_or_uri.find("://") != std::string::npos) {
    return Status::InvalidArgument("the model at '" + path_or_uri + "' is not a file:// URI; only local artifacts are supported");
  }
  const std::string path = path_or_uri.rfind(scheme, 0) == 0 ? path_or_uri.substr(scheme.size()) : path_or_uri;
  auto bytes = ReadWholeFile(path, kMaxModelBytes);
  if (!bytes.ok()) return bytes.status().WithContext("reading the model " + path);
  // A classifier's weight file is binary; only a JSON object can be a prompt model.
  std::size_t first = bytes->find_first_not_of(" \t\r\n");
  if (first == std::string::npos || (*bytes)[first] != '{') return std::optional<std::string>();
  json j = json::parse(*bytes, nullptr, false);
  if (!j.is_object() || j.value("format", "") != "kaizen-prompt-model") return std::optional<std::string>();
  try {
    return std::optional<std::string>(PromptTextOf(j));
  } catch (const json::exception& e) {
    return Status::Corruption("the prompt model " + path + " has a field of the wrong type: " + e.what());
  }
}

PromptChange MeasurePromptChange(const std::string& candidate, const PromptBase& replaced,
                                 const std::optional<PromptBase>& anchor) {
  PromptChange c;
  c.change = ChangeShare(replaced.text, candidate);
  if (anchor) c.drift = anchor->version == replaced.version ? c.change : ChangeShare(anchor->text, candidate);
  return c;
}

std::string PromptChange::Describe(const ChangeBounds& bounds, const PromptBase& replaced,
                                   const std::optional<PromptBase>& anchor) const {
  std::string s = "changes " + PercentText(change) + " of " + replaced.version + "'s prompt";
  if (bounds.max_prompt_change) s += " (max " + PercentText(*bounds.max_prompt_change) + ")";
  if (drift && anchor) {
    s += "; " + PercentText(*drift) + " from the anchor " + anchor->version;
    if (bounds.max_drift_from_anchor) s += " (max " + PercentText(*bounds.max_drift_from_anchor) + ")";
  }
  return s;
}

Status CheckPromptChange(const ChangeBounds& bounds, const PromptChange& measured, const PromptBase& replaced,
                         const std::optional<PromptBase>& anchor) {
  std::string crossed;  // every bound crossed, so the reason names the drift even when the change is too big too
  if (bounds.max_prompt_change && measured.change > *bounds.max_prompt_change + kShareEps) {
    crossed = "it changes " + PercentText(measured.change) + " of " + replaced.version +
              "'s prompt, and spec.planning.bounds.max_prompt_change is " + PercentText(*bounds.max_prompt_change);
  }
  if (bounds.max_drift_from_anchor && measured.drift && anchor &&
      *measured.drift > *bounds.max_drift_from_anchor + kShareEps) {
    crossed += (crossed.empty() ? "" : "; and ") + std::string("its prompt is ") + PercentText(*measured.drift) +
               " away from the anchor " + anchor->version + "'s, and spec.planning.bounds.max_drift_from_anchor is " +
               PercentText(*bounds.max_drift_from_anchor) + " (`kaizen anchor set` moves the anchor)";
  }
  return crossed.empty() ? Status::OK() : Status::FailedPrecondition(crossed);
}

}  // namespace kaizen::safety
