#include "agents/models/llm/json_reply.h"

namespace kaizen::models::llm {

using json = nlohmann::json;

std::optional<json> FirstJsonObject(const std::string& s) {
  for (auto open = s.find('{'); open != std::string::npos; open = s.find('{', open + 1)) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t i = open; i < s.size(); ++i) {
      char c = s[i];
      if (in_string) {
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{') ++depth;
      else if (c == '}' && --depth == 0) {
        try {
          auto j = json::parse(s.substr(open, i - open + 1));
          if (j.is_object()) return j;
        } catch (const json::exception&) {
        }
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace kaizen::models::llm
