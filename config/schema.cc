#include "config/schema.h"

#include <cstdint>
#include <sstream>
#include <utility>

#include "runtime/base/text.h"

namespace kaizen::config {
namespace {

std::shared_ptr<Schema> Make(SchemaType type) {
  auto s = std::make_shared<Schema>();
  s->type = type;
  return s;
}

}  // namespace

const Field* Schema::FindField(const std::string& name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

const Variant* Schema::FindVariant(const std::string& name) const {
  for (const auto& v : variants)
    if (v.name == name) return &v;
  return nullptr;
}

std::string Schema::TypeName() const {
  switch (type) {
    case SchemaType::kObject:
    case SchemaType::kMap:
    case SchemaType::kUnion: return "mapping";
    case SchemaType::kList: return "list";
    case SchemaType::kString:
    case SchemaType::kEnum: return "string";
    case SchemaType::kInt: return "integer";
    case SchemaType::kDouble: return "number";
    case SchemaType::kBool: return "boolean";
  }
  return "value";
}

std::string Schema::Expected() const {
  switch (type) {
    case SchemaType::kString:
      return pattern.empty() ? "string" : "string matching " + pattern + (pattern_doc.empty() ? "" : " (" + pattern_doc + ")");
    case SchemaType::kEnum: {
      if (values.size() == 1) return "\"" + values[0] + "\"";
      std::string s = "one of ";
      for (size_t i = 0; i < values.size(); ++i) s += (i ? ", \"" : "\"") + values[i] + "\"";
      return s;
    }
    case SchemaType::kInt:
      if (int_min && int_max && *int_max == INT64_MAX) return "integer >= " + std::to_string(*int_min);
      if (int_min && int_max) return "integer in " + std::to_string(*int_min) + ".." + std::to_string(*int_max);
      if (int_min) return "integer >= " + std::to_string(*int_min);
      if (int_max) return "integer <= " + std::to_string(*int_max);
      return "integer";
    case SchemaType::kDouble:
      if (num_min && num_max)
        return "number in " + std::string(min_exclusive ? "(" : "[") + ShortNumber(*num_min) + ", " + ShortNumber(*num_max) +
               (max_exclusive ? ")" : "]");
      if (num_min) return "number " + std::string(min_exclusive ? "> " : ">= ") + ShortNumber(*num_min);
      if (num_max) return "number " + std::string(max_exclusive ? "< " : "<= ") + ShortNumber(*num_max);
      return "number";
    case SchemaType::kBool: return "boolean (true or false)";
    case SchemaType::kList: return "list of " + element->Expected();
    case SchemaType::kMap: return "mapping of name to " + element->TypeName();
    case SchemaType::kObject: return "mapping";
    case SchemaType::kUnion: return "mapping with key \"" + discriminator + "\"";
  }
  return "value";
}

SchemaPtr String() { return Make(SchemaType::kString); }

SchemaPtr Pattern(std::string regex, std::string why) {
  auto s = Make(SchemaType::kString);
  s->pattern = std::move(regex);
  s->pattern_doc = std::move(why);
  return s;
}

SchemaPtr Enum(std::vector<std::string> values) {
  auto s = Make(SchemaType::kEnum);
  s->values = std::move(values);
  return s;
}

SchemaPtr Int(int64_t min, int64_t max) {
  auto s = Make(SchemaType::kInt);
  s->int_min = min;
  s->int_max = max;
  return s;
}

SchemaPtr Double(std::optional<double> min, std::optional<double> max, bool min_exclusive, bool max_exclusive) {
  auto s = Make(SchemaType::kDouble);
  s->num_min = min;
  s->num_max = max;
  s->min_exclusive = min_exclusive;
  s->max_exclusive = max_exclusive;
  return s;
}

SchemaPtr Bool() { return Make(SchemaType::kBool); }

SchemaPtr ListOf(SchemaPtr item, size_t min_items, bool unique_items) {
  auto s = Make(SchemaType::kList);
  s->element = std::move(item);
  s->min_items = min_items;
  s->unique_items = unique_items;
  return s;
}

SchemaPtr MapOf(SchemaPtr value, std::string key_pattern, std::string key_pattern_doc) {
  auto s = Make(SchemaType::kMap);
  s->element = std::move(value);
  s->pattern = std::move(key_pattern);
  s->pattern_doc = std::move(key_pattern_doc);
  return s;
}

SchemaPtr Union(std::string discriminator, std::string doc, std::vector<Variant> variants) {
  auto s = Make(SchemaType::kUnion);
  s->discriminator = std::move(discriminator);
  s->doc = std::move(doc);
  s->variants = std::move(variants);
  return s;
}

ObjectBuilder::ObjectBuilder(std::string doc) : schema_(Make(SchemaType::kObject)) { schema_->doc = std::move(doc); }

ObjectBuilder& ObjectBuilder::Required(std::string name, SchemaPtr schema, std::string doc) {
  schema_->fields.push_back({std::move(name), std::move(schema), Field::Presence::kRequired, nullptr, "", std::move(doc)});
  return *this;
}

ObjectBuilder& ObjectBuilder::Default(std::string name, SchemaPtr schema, nlohmann::json value, std::string doc) {
  schema_->fields.push_back(
      {std::move(name), std::move(schema), Field::Presence::kDefault, std::move(value), "", std::move(doc)});
  return *this;
}

ObjectBuilder& ObjectBuilder::Optional(std::string name, SchemaPtr schema, std::string doc, std::string default_doc) {
  schema_->fields.push_back({std::move(name), std::move(schema), Field::Presence::kOptional, nullptr,
                             std::move(default_doc), std::move(doc)});
  return *this;
}

SchemaPtr ObjectBuilder::Build() { return schema_; }

nlohmann::json FillDefaults(const Schema& schema, nlohmann::json value) {
  switch (schema.type) {
    case SchemaType::kObject:
      if (!value.is_object()) return value;
      for (const auto& f : schema.fields) {
        if (value.contains(f.name)) {
          value[f.name] = FillDefaults(*f.schema, std::move(value[f.name]));
        } else if (f.presence == Field::Presence::kDefault) {
          value[f.name] = FillDefaults(*f.schema, f.default_value);
        }
      }
      return value;
    case SchemaType::kUnion: {
      if (!value.is_object() || !value.contains(schema.discriminator)) return value;
      const auto& tag = value[schema.discriminator];
      const Variant* v = tag.is_string() ? schema.FindVariant(tag.get<std::string>()) : nullptr;
      return v ? FillDefaults(*v->object, std::move(value)) : value;
    }
    case SchemaType::kList:
      if (value.is_array())
        for (auto& item : value) item = FillDefaults(*schema.element, std::move(item));
      return value;
    case SchemaType::kMap:
      if (value.is_object())
        for (auto it = value.begin(); it != value.end(); ++it) *it = FillDefaults(*schema.element, std::move(*it));
      return value;
    default:
      return value;
  }
}

}  // namespace kaizen::config
