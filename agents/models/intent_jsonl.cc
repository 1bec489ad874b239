#include "agents/models/intent_jsonl.h"

namespace kaizen::models {

void AppendPythonJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
      }
    }
  }
  out.push_back('"');
}

std::string IntentJsonlLine(std::string_view text, std::string_view intent, std::string_view domain,
                            std::string_view split) {
  std::string line;
  line.reserve(text.size() + intent.size() + domain.size() + split.size() + 48);
  line += "{\"text\": ";
  AppendPythonJsonString(line, text);
  line += ", \"intent\": ";
  AppendPythonJsonString(line, intent);
  line += ", \"domain\": ";
  AppendPythonJsonString(line, domain);
  line += ", \"split\": ";
  AppendPythonJsonString(line, split);
  line += "}\n";
  return line;
}

}  // namespace kaizen::models
