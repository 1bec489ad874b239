#include "config/validator.h"

#include <cmath>
#include <regex>

#include "config/diagnostic.h"
#include "config/scalar.h"
#include "config/suggest.h"

namespace kaizen::config {
namespace {

bool IsContainer(SchemaType t) {
  return t == SchemaType::kObject || t == SchemaType::kMap || t == SchemaType::kList || t == SchemaType::kUnion;
}

// For a value written as `key:` with nothing after it, yaml-cpp marks the
// next token (often on the next line): point at the key instead. So too for an
// alias (`key: *name`): yaml-cpp gives it the mark of its anchor, earlier in
// the file, but a value of the wrong kind is the mistake of the key using it.
YAML::Mark ValueMark(const YAML::Node& key, const YAML::Node& value) {
  const bool alias = value.Mark().pos < key.Mark().pos;  // any other value comes after its key
  return value.IsNull() || alias ? key.Mark() : value.Mark();
}

std::string KeyList(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

std::vector<std::string> FieldNames(const Schema& object) {
  std::vector<std::string> names;
  for (const auto& f : object.fields) names.push_back(f.name);
  return names;
}

}  // namespace

std::string JoinPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

YAML::Mark MarkIndex::Find(std::string path) const {
  while (true) {
    auto it = marks_.find(path);
    if (it != marks_.end()) return it->second;
    if (path.empty()) return YAML::Mark::null_mark();
    size_t cut = path.find_last_of(".[");
    path = cut == std::string::npos ? "" : path.substr(0, cut);
  }
}

Validator::Validator(std::string file, std::vector<Diagnostic>* errors, ValidationLimits limits)
    : file_(std::move(file)), errors_(errors), limits_(limits) {}

void Validator::Error(const YAML::Mark& at, const std::string& path, std::string message) {
  if (stopped_) return;
  if (++own_errors_ > limits_.max_errors) {
    errors_->push_back(MakeDiagnostic(file_, at, "",
                                      "too many errors (more than " + std::to_string(limits_.max_errors) +
                                          "); fix these and run again"));
    stopped_ = true;
    return;
  }
  error_paths_.push_back(path);
  errors_->push_back(MakeDiagnostic(file_, at, path, std::move(message)));
}

bool Validator::HasErrorsUnder(const std::string& prefix) const {
  for (const auto& p : error_paths_) {
    if (prefix.empty() || p == prefix) return true;
    if (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
        (p[prefix.size()] == '.' || p[prefix.size()] == '['))
      return true;
  }
  return false;
}

nlohmann::json Validator::Validate(const Schema& schema, const YAML::Node& node, const std::string& path,
                                   const YAML::Mark& at) {
  if (stopped_) return nullptr;
  if (++values_ > limits_.max_values) {
    Error(at, path,
          "the manifest expands to more than " + std::to_string(limits_.max_values) +
              " values (are YAML aliases repeating a large block?)");
    stopped_ = true;
    return nullptr;
  }
  marks_.Set(path, at);
  // An empty value where a container belongs is an empty container: a section
  // whose keys are all commented out reads as `monitoring:`.
  if (IsContainer(schema.type) && node.IsNull()) {
    if (schema.type == SchemaType::kList) return nlohmann::json::array();
    if (schema.type == SchemaType::kMap) return nlohmann::json::object();
  }
  switch (schema.type) {
    case SchemaType::kObject: return Object(schema, node, path, at);
    case SchemaType::kUnion: return Union(schema, node, path, at);
    case SchemaType::kList: return List(schema, node, path, at);
    case SchemaType::kMap: return Map(schema, node, path, at);
    default: return Scalar(schema, node, path, at);
  }
}

void Validator::Mismatch(const Schema& schema, const YAML::Node& node, const std::string& path,
                         const YAML::Mark& at) {
  Error(at, path, "expected " + schema.Expected() + ", found " + Describe(node));
}

nlohmann::json Validator::Object(const Schema& schema, const YAML::Node& node, const std::string& path,
                                 const YAML::Mark& at, const Schema* in_union, const std::string& variant) {
  if (!node.IsNull() && !node.IsMap()) {
    Mismatch(schema, node, path, at);
    return nullptr;
  }
  nlohmann::json out = nlohmann::json::object();
  std::map<std::string, int> seen;  // key -> line, for duplicates
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // copies: operator-> returns a temporary
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        Error(key.Mark(), path, "keys must be plain names, found " + Describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string child = JoinPath(path, name);
      if (auto [pos, fresh] = seen.emplace(name, key.Mark().line + 1); !fresh) {
        Error(key.Mark(), child, "duplicate key \"" + name + "\" (first given on line " +
                                     std::to_string(pos->second) + ")");
        continue;
      }
      const Field* f = schema.FindField(name);
      if (!f) {
        UnknownKey(schema, key, child, in_union, variant);
        continue;
      }
      nlohmann::json v = Validate(*f->schema, value, child, ValueMark(key, value));
      if (!v.is_null()) out[name] = std::move(v);
    }
  }
  for (const auto& f : schema.fields) {
    if (seen.count(f.name)) continue;
    if (f.presence == Field::Presence::kRequired) {
      Error(at, JoinPath(path, f.name),
            "missing required key \"" + f.name + "\" (expected " + f.schema->Expected() + ")");
    } else if (f.presence == Field::Presence::kDefault) {
      out[f.name] = FillDefaults(*f.schema, f.default_value);
    }
  }
  return out;
}

void Validator::UnknownKey(const Schema& schema, const YAML::Node& key, const std::string& path,
                           const Schema* in_union, const std::string& variant) {
  const std::string& name = key.Scalar();
  const std::vector<std::string> allowed = FieldNames(schema);
  if (in_union) {
    // A key of a sibling variant: say which one, it is the likely mix-up.
    for (const auto& v : in_union->variants) {
      if (v.name != variant && v.object->FindField(name)) {
        Error(key.Mark(), path,
              "key \"" + name + "\" belongs to " + in_union->discriminator + " \"" + v.name + "\", not \"" + variant +
                  "\" (allowed keys for \"" + variant + "\": " + KeyList(allowed) + ")");
        return;
      }
    }
  }
  std::string msg = "unknown key \"" + name + "\"";
  if (std::string near = Nearest(name, allowed); !near.empty()) msg += "; did you mean \"" + near + "\"?";
  Error(key.Mark(), path, msg + " (allowed keys: " + KeyList(allowed) + ")");
}

nlohmann::json Validator::Union(const Schema& schema, const YAML::Node& node, const std::string& path,
                                const YAML::Mark& at) {
  std::vector<std::string> names;
  for (const auto& v : schema.variants) names.push_back(v.name);
  if (!node.IsMap()) {
    if (node.IsNull()) {
      Error(at, JoinPath(path, schema.discriminator),
            "missing required key \"" + schema.discriminator + "\" (expected " + Enum(names)->Expected() + ")");
    } else {
      Mismatch(schema, node, path, at);
    }
    return nullptr;
  }
  YAML::Node tag, tag_key;
  bool found = false;
  for (auto it = node.begin(); it != node.end() && !found; ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == schema.discriminator) {
      tag_key.reset(it->first);  // reset, not =: operator= would assign the node's value
      tag.reset(it->second);
      found = true;
    }
  }
  const std::string tag_path = JoinPath(path, schema.discriminator);
  if (!found) {
    Error(at, tag_path,
          "missing required key \"" + schema.discriminator + "\" (expected " + Enum(names)->Expected() + ")");
    return nullptr;
  }
  const Variant* v = tag.IsScalar() ? schema.FindVariant(tag.Scalar()) : nullptr;
  if (!v) {
    // Report through the enum so the message matches other enums; the rest of
    // the mapping cannot be checked without knowing its kind.
    Validate(*Enum(names), tag, tag_path, ValueMark(tag_key, tag));
    return nullptr;
  }
  return Object(*v->object, node, path, at, &schema, v->name);
}

nlohmann::json Validator::List(const Schema& schema, const YAML::Node& node, const std::string& path,
                               const YAML::Mark& at) {
  if (!node.IsSequence()) {
    Mismatch(schema, node, path, at);
    return nullptr;
  }
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::pair<nlohmann::json, int>> firsts;  // for unique_items: value, line
  size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const YAML::Node item = *it;
    const std::string child = path + "[" + std::to_string(i) + "]";
    // Invalid items stay as null so later indexes keep matching the file.
    nlohmann::json v = Validate(*schema.element, item, child, item.Mark());
    if (!v.is_null() && schema.unique_items) {
      bool dup = false;
      for (const auto& [prev, line] : firsts) {
        if (prev == v) {
          Error(item.Mark(), child, "duplicate item " + v.dump() + " (first given on line " + std::to_string(line) + ")");
          dup = true;
          break;
        }
      }
      if (dup) v = nullptr;
      else firsts.emplace_back(v, item.Mark().line + 1);
    }
    out.push_back(std::move(v));
  }
  if (node.size() < schema.min_items) {
    Error(at, path,
          "expected at least " + std::to_string(schema.min_items) + " item" + (schema.min_items == 1 ? "" : "s") +
              " (" + schema.Expected() + "), found " + std::to_string(node.size()));
  }
  return out;
}

nlohmann::json Validator::Map(const Schema& schema, const YAML::Node& node, const std::string& path,
                              const YAML::Mark& at) {
  if (!node.IsMap()) {
    Mismatch(schema, node, path, at);
    return nullptr;
  }
  nlohmann::json out = nlohmann::json::object();
  std::map<std::string, int> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // copies: operator-> returns a temporary
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      Error(key.Mark(), path, "names must be strings, found " + Describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string child = JoinPath(path, name);
    if (auto [pos, fresh] = seen.emplace(name, key.Mark().line + 1); !fresh) {
      Error(key.Mark(), child,
            "duplicate key \"" + name + "\" (first given on line " + std::to_string(pos->second) + ")");
      continue;
    }
    if (!schema.pattern.empty() && !std::regex_match(name, std::regex(schema.pattern))) {
      Error(key.Mark(), child,
            "expected a name matching " + schema.pattern +
                (schema.pattern_doc.empty() ? "" : " (" + schema.pattern_doc + ")") + ", found " + Quote(name));
      continue;
    }
    nlohmann::json v = Validate(*schema.element, value, child, ValueMark(key, value));
    if (!v.is_null()) out[name] = std::move(v);
  }
  return out;
}

nlohmann::json Validator::Scalar(const Schema& schema, const YAML::Node& node, const std::string& path,
                                 const YAML::Mark& at) {
  if (!node.IsScalar()) {
    Mismatch(schema, node, path, at);
    return nullptr;
  }
  const std::string& text = node.Scalar();
  const ScalarKind kind = KindOf(node);
  switch (schema.type) {
    case SchemaType::kString:
      if (!schema.pattern.empty() && !std::regex_match(text, std::regex(schema.pattern))) break;
      return text;
    case SchemaType::kEnum: {
      for (const auto& v : schema.values)
        if (v == text) return text;
      std::string msg = "expected " + schema.Expected() + ", found " + Describe(node);
      std::string near = schema.values.size() > 1 ? Nearest(text, schema.values) : "";
      if (!near.empty()) msg += "; did you mean \"" + near + "\"?";
      Error(at, path, msg);
      return nullptr;
    }
    case SchemaType::kInt: {
      if (kind != ScalarKind::kInt) break;
      int64_t v = *ParseInt(text);
      if ((schema.int_min && v < *schema.int_min) || (schema.int_max && v > *schema.int_max)) break;
      return v;
    }
    case SchemaType::kDouble: {
      if (kind != ScalarKind::kInt && kind != ScalarKind::kNumber) break;
      double v = *ParseNumber(text);
      if (!std::isfinite(v)) break;
      if (schema.num_min && (schema.min_exclusive ? v <= *schema.num_min : v < *schema.num_min)) break;
      if (schema.num_max && (schema.max_exclusive ? v >= *schema.num_max : v > *schema.num_max)) break;
      return v;
    }
    case SchemaType::kBool:
      if (kind != ScalarKind::kBool) break;
      return *ParseBool(text);
    default:
      break;
  }
  Mismatch(schema, node, path, at);
  return nullptr;
}

}  // namespace kaizen::config
