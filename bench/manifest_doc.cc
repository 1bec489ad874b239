#include "bench/manifest_doc.h"

#include <sstream>

namespace kaizen::bench {
namespace {

std::vector<std::string> Segments(const std::string& key) {
  std::vector<std::string> out;
  std::istringstream in(key);
  for (std::string s; std::getline(in, s, '.');) out.push_back(s);
  return out;
}

std::optional<size_t> Index(const std::string& segment) {
  if (segment.empty() || segment.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return static_cast<size_t>(std::stoul(segment));
}

}  // namespace

Result<ManifestDoc> ManifestDoc::Parse(const std::string& text, const std::string& file) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return Status::InvalidArgument(file + ": expected a YAML mapping (a Kaizen manifest)");
    return ManifestDoc(root);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file + ": not YAML: " + e.what());
  }
}

Status ManifestDoc::Set(const ManifestEdit& edit) {
  const std::vector<std::string> segs = Segments(edit.key);
  if (segs.empty()) return Status::InvalidArgument("manifest edit with an empty key");
  YAML::Node value;
  try {
    value = YAML::Load(edit.value);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("manifest edit " + edit.key + ": value '" + edit.value + "' is not YAML: " +
                                   e.what());
  }
  // YAML::Node assignment writes into the tree; reset() moves the handle.
  YAML::Node cur;
  cur.reset(root_);
  std::string at;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    const bool last = i + 1 == segs.size();
    const std::string where = at.empty() ? "the document" : at;
    at += (at.empty() ? "" : ".") + seg;
    YAML::Node next;
    if (cur.IsSequence()) {
      const std::optional<size_t> idx = Index(seg);
      if (!idx || *idx >= cur.size())
        return Status::InvalidArgument("manifest edit " + edit.key + ": " + where + " is a list of " +
                                       std::to_string(cur.size()) + "; '" + seg + "' is not an index in it");
      if (last) {
        cur[*idx] = value;
        return Status::OK();
      }
      next.reset(cur[*idx]);
    } else if (cur.IsMap()) {
      if (last) {
        cur[seg] = value;
        return Status::OK();
      }
      if (!cur[seg] || cur[seg].IsNull()) cur[seg] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[seg]);
    } else {
      return Status::InvalidArgument("manifest edit " + edit.key + ": " + where +
                                     " is a value, not a mapping or list, so it has no '" + seg + "'");
    }
    cur.reset(next);
  }
  return Status::OK();
}

Status ManifestDoc::Apply(const std::vector<ManifestEdit>& edits) {
  for (const auto& e : edits) {
    if (Status s = Set(e); !s.ok()) return s;
  }
  return Status::OK();
}

YAML::Node ManifestDoc::At(const std::string& key) const {
  YAML::Node node;
  node.reset(root_);
  for (const std::string& seg : Segments(key)) {
    const YAML::Node& cur = node;  // const: reading never adds a key
    YAML::Node next;
    if (cur.IsSequence()) {
      const std::optional<size_t> idx = Index(seg);
      if (!idx || *idx >= cur.size()) return YAML::Node(YAML::NodeType::Undefined);
      next.reset(cur[*idx]);
    } else if (cur.IsMap()) {
      next.reset(cur[seg]);
      if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    node.reset(next);
  }
  return node;
}

std::optional<std::string> ManifestDoc::Scalar(const std::string& key) const {
  YAML::Node n = At(key);
  if (!n.IsDefined() || !n.IsScalar()) return std::nullopt;
  return n.Scalar();
}

void ManifestDoc::AbsoluteDataPaths(const std::string& base_dir) {
  // The constitution's file resolves against the manifest's directory too.
  if (YAML::Node c = At("spec.evaluation.constitution"); c.IsMap() && c["path"].IsScalar()) {
    const std::string p = c["path"].Scalar();
    if (!p.empty() && p[0] != '/') c["path"] = base_dir + "/" + p;
  }
  YAML::Node data = At("spec.data");
  if (!data.IsDefined() || !data.IsMap()) return;
  for (auto it = data.begin(); it != data.end(); ++it) {
    YAML::Node path = it->second["path"];
    if (!path.IsScalar()) continue;
    const std::string p = path.Scalar();
    if (!p.empty() && p[0] != '/') it->second["path"] = base_dir + "/" + p;
  }
}

std::string ManifestDoc::Text() const {
  YAML::Emitter out;
  out << root_;
  return std::string(out.c_str()) + "\n";
}

}  // namespace kaizen::bench
