// A small declarative schema for YAML documents. One tree of these nodes
// drives validation (validator.h), defaults (FillDefaults) and the reference
// documentation (markdown.h), so the three cannot drift apart.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::config {

enum class SchemaType { kObject, kMap, kList, kString, kEnum, kInt, kDouble, kBool, kUnion };

struct Schema;
using SchemaPtr = std::shared_ptr<const Schema>;

// A key of an object.
struct Field {
  enum class Presence { kRequired, kDefault, kOptional };
  std::string name;
  SchemaPtr schema;
  Presence presence = Presence::kOptional;
  nlohmann::json default_value;  // kDefault: filled in (recursively) when absent
  std::string default_doc;       // shown instead of the default where it is computed at load time
  std::string doc;               // one line
};

// One alternative of a union, chosen by the value of the discriminator key.
struct Variant {
  std::string name;
  SchemaPtr object;  // kObject; lists the discriminator key itself too
};

struct Schema {
  SchemaType type = SchemaType::kString;
  std::string doc;  // objects and unions: a line for the reference section

  std::vector<Field> fields;  // kObject, in the order the reference lists them

  SchemaPtr element;  // kMap: the value schema; kList: the item schema

  std::vector<std::string> values;  // kEnum

  std::optional<int64_t> int_min, int_max;  // kInt, inclusive
  std::optional<double> num_min, num_max;   // kDouble
  bool min_exclusive = false, max_exclusive = false;

  std::string pattern;      // kString: full-match regex; kMap: the pattern keys must match
  std::string pattern_doc;  // why, in words

  size_t min_items = 0;       // kList
  bool unique_items = false;  // kList of scalars

  std::string discriminator;      // kUnion
  std::vector<Variant> variants;  // kUnion

  const Field* FindField(const std::string& name) const;
  const Variant* FindVariant(const std::string& name) const;
  // What a value must look like, for "expected X": "integer in 50..60000",
  // "one of "a", "b"", "list of string".
  std::string Expected() const;
  // The bare type word: "integer", "number", "string", "boolean", "mapping", "list".
  std::string TypeName() const;
};

// Builders. Scalars:
SchemaPtr String();
SchemaPtr Pattern(std::string regex, std::string why);
SchemaPtr Enum(std::vector<std::string> values);
SchemaPtr Int(int64_t min, int64_t max);
SchemaPtr Double(std::optional<double> min, std::optional<double> max, bool min_exclusive = false,
                 bool max_exclusive = false);
SchemaPtr Bool();
// Containers:
SchemaPtr ListOf(SchemaPtr item, size_t min_items = 0, bool unique_items = false);
SchemaPtr MapOf(SchemaPtr value, std::string key_pattern = "", std::string key_pattern_doc = "");
SchemaPtr Union(std::string discriminator, std::string doc, std::vector<Variant> variants);

// Objects: no keys but the listed ones are allowed.
class ObjectBuilder {
 public:
  explicit ObjectBuilder(std::string doc);
  ObjectBuilder& Required(std::string name, SchemaPtr schema, std::string doc);
  ObjectBuilder& Default(std::string name, SchemaPtr schema, nlohmann::json value, std::string doc);
  // Absent stays absent; default_doc says what that means ("ipc://<state_dir>/control.sock").
  ObjectBuilder& Optional(std::string name, SchemaPtr schema, std::string doc, std::string default_doc = "");
  SchemaPtr Build();

 private:
  std::shared_ptr<Schema> schema_;
};

// Completes value (already of the schema's shape) with every default the
// schema names, recursively: {} for an object becomes all of its defaults.
nlohmann::json FillDefaults(const Schema& schema, nlohmann::json value);

}  // namespace kaizen::config
