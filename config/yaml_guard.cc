#include "config/yaml_guard.h"

#include <map>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace kaizen::config {
namespace {

// Thrown from the handler to stop the parser at the first problem.
struct Stop {
  YamlProblem problem;
};

class ShapeHandler : public YAML::EventHandler {
 public:
  explicit ShapeHandler(YamlLimits limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      throw Stop{{mark, "a manifest is one YAML document; found a second one (a `---` line?)"}};
    anchors_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor, 1); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    Leaf(mark, anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    Leaf(mark, 0, it == anchors_.end() ? 1 : it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    size_t nodes;
  };

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      throw Stop{{mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels"}};
    Count(mark, 1);
    stack_.push_back({anchor, 1});
  }
  void Close() {
    Frame f = stack_.back();
    stack_.pop_back();
    if (f.anchor) anchors_[f.anchor] = f.nodes;
    if (!stack_.empty()) stack_.back().nodes += f.nodes;
  }
  // A scalar, a null, or an alias standing for the nodes of its anchor.
  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, size_t nodes) {
    if (anchor) anchors_[anchor] = nodes;
    Count(mark, nodes);
    if (!stack_.empty()) stack_.back().nodes += nodes;
  }
  void Count(const YAML::Mark& mark, size_t nodes) {
    total_ += nodes;
    if (total_ > limits_.max_expanded_nodes)
      throw Stop{{mark, "the document expands to more than " + std::to_string(limits_.max_expanded_nodes) +
                            " nodes (YAML aliases repeating a large block?)"}};
  }

  YamlLimits limits_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, size_t> anchors_;
  size_t total_ = 0;
  int documents_ = 0;
};

}  // namespace

std::optional<YamlProblem> CheckYamlShape(const std::string& text, YamlLimits limits) {
  std::istringstream in(text);
  ShapeHandler handler(limits);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const Stop& s) {
    return s.problem;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // a syntax error: the real parse reports it
  }
  return std::nullopt;
}

}  // namespace kaizen::config
