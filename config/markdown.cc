#include "config/markdown.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "runtime/base/text.h"

namespace kaizen::config {
namespace {

// A table cell: a '|' would end the cell, a newline the row.
std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string Code(const std::string& s) { return "`" + s + "`"; }

std::string Join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string TypeWord(const Schema& s) {
  switch (s.type) {
    case SchemaType::kList: return "list of " + TypeWord(*s.element);
    case SchemaType::kMap: return "map of name to " + TypeWord(*s.element);
    case SchemaType::kUnion: return "mapping, one kind per `" + s.discriminator + "`";
    case SchemaType::kEnum: return "string";
    default: return s.TypeName();
  }
}

std::string Allowed(const Schema& s) {
  switch (s.type) {
    case SchemaType::kEnum: {
      std::string out;
      for (const auto& v : s.values) out += (out.empty() ? "" : ", ") + Code(v);
      return out;
    }
    case SchemaType::kString:
      return s.pattern.empty() ? "" : Code(s.pattern) + (s.pattern_doc.empty() ? "" : ": " + s.pattern_doc);
    case SchemaType::kInt:
      if (s.int_min && s.int_max && *s.int_max == INT64_MAX) return ">= " + std::to_string(*s.int_min);
      if (s.int_min && s.int_max) return std::to_string(*s.int_min) + " .. " + std::to_string(*s.int_max);
      if (s.int_min) return ">= " + std::to_string(*s.int_min);
      return "";
    case SchemaType::kDouble: {
      if (s.num_min && s.num_max)
        return std::string(s.min_exclusive ? "(" : "[") + ShortNumber(*s.num_min) + ", " + ShortNumber(*s.num_max) +
               (s.max_exclusive ? ")" : "]");
      if (s.num_min) return (s.min_exclusive ? "> " : ">= ") + ShortNumber(*s.num_min);
      if (s.num_max) return (s.max_exclusive ? "< " : "<= ") + ShortNumber(*s.num_max);
      return "";
    }
    case SchemaType::kBool: return "`true`, `false`";
    case SchemaType::kList: {
      std::string out = Allowed(*s.element);
      if (s.unique_items) out += std::string(out.empty() ? "" : "; ") + "no duplicates";
      if (s.min_items) out += std::string(out.empty() ? "" : "; ") + "at least " + std::to_string(s.min_items);
      return out;
    }
    case SchemaType::kMap:
      return s.pattern.empty() ? "" : "names: " + Code(s.pattern);
    case SchemaType::kUnion: {
      std::string out = Code(s.discriminator) + ": ";
      for (size_t i = 0; i < s.variants.size(); ++i) out += (i ? ", " : "") + Code(s.variants[i].name);
      return out;
    }
    default: return "";
  }
}

std::string DefaultCell(const Field& f) {
  switch (f.presence) {
    case Field::Presence::kRequired: return "**required**";
    case Field::Presence::kDefault:
      if (f.schema->type == SchemaType::kObject && f.default_value == nlohmann::json::object())
        return "(its keys' defaults)";
      // Strings as a YAML user writes them: `info`, not `"info"`.
      return Code(f.default_value.is_string() ? f.default_value.get<std::string>() : f.default_value.dump());
    case Field::Presence::kOptional:
      // A computed value like ipc://<state_dir>/x reads as code; prose in italics.
      if (f.default_doc.empty()) return "(none)";
      if (f.default_doc.find_first_of("</") != std::string::npos) return Code(f.default_doc);
      return "*" + f.default_doc + "*";
  }
  return "";
}

// Containers inside lists and maps are documented at "a[]" / "a.<name>".
const Schema* Unwrap(const Schema& s, std::string* path) {
  const Schema* cur = &s;
  while (cur->type == SchemaType::kList || cur->type == SchemaType::kMap) {
    *path += cur->type == SchemaType::kList ? "[]" : ".<name>";
    cur = cur->element.get();
  }
  return cur;
}

class Renderer {
 public:
  std::string Render(const Schema& root) {
    Section(root, "");
    return out_.str();
  }

 private:
  void Section(const Schema& s, const std::string& path) {
    if (s.type == SchemaType::kObject) {
      out_ << "### " << (path.empty() ? "Top level" : Code(path)) << "\n\n" << s.doc << "\n\n";
      Table(s, path);
      Children(s, path);
    } else if (s.type == SchemaType::kUnion) {
      out_ << "### " << Code(path) << "\n\n" << s.doc << "\n\n";
      for (const auto& v : s.variants) {
        out_ << "#### " << Code(path) << " with " << Code(s.discriminator + ": " + v.name) << "\n\n"
             << v.object->doc << "\n\n";
        Table(*v.object, path);
      }
      for (const auto& v : s.variants) Children(*v.object, path);
    }
  }

  void Table(const Schema& s, const std::string& path) {
    out_ << "| key | type | default | allowed | description |\n|---|---|---|---|---|\n";
    for (const auto& f : s.fields) {
      out_ << "| " << Code(Join(path, f.name)) << " | " << Cell(TypeWord(*f.schema)) << " | "
           << Cell(DefaultCell(f)) << " | " << Cell(Allowed(*f.schema)) << " | " << Cell(f.doc) << " |\n";
    }
    out_ << "\n";
  }

  void Children(const Schema& s, const std::string& path) {
    for (const auto& f : s.fields) {
      std::string child = Join(path, f.name);
      const Schema* inner = Unwrap(*f.schema, &child);
      Section(*inner, child);
    }
  }

  std::ostringstream out_;
};

void CollectPaths(const Schema& s, const std::string& path, std::vector<std::string>* out) {
  std::vector<const Schema*> objects;
  if (s.type == SchemaType::kObject) objects.push_back(&s);
  if (s.type == SchemaType::kUnion)
    for (const auto& v : s.variants) objects.push_back(v.object.get());
  for (const Schema* o : objects) {
    for (const auto& f : o->fields) {
      std::string child = Join(path, f.name);
      if (std::find(out->begin(), out->end(), child) == out->end()) out->push_back(child);
      const Schema* inner = Unwrap(*f.schema, &child);
      CollectPaths(*inner, child, out);
    }
  }
}

}  // namespace

std::vector<std::string> SchemaKeyPaths(const Schema& schema) {
  std::vector<std::string> out;
  CollectPaths(schema, "", &out);
  return out;
}

std::string RenderSchemaMarkdown(const Schema& schema) { return Renderer().Render(schema); }

bool ReplaceReference(std::string* document, const std::string& reference) {
  size_t b = document->find(kReferenceBegin);
  size_t e = document->find(kReferenceEnd);
  if (b == std::string::npos || e == std::string::npos || e < b) return false;
  b += std::string(kReferenceBegin).size();
  document->replace(b, e - b, "\n\n" + reference);
  return true;
}

}  // namespace kaizen::config
