// One labeled text: what the classifier trains on and what datasets hold.
#pragma once

#include <string>

namespace kaizen::models {

struct Example {
  std::string text;
  std::string label;
};

}  // namespace kaizen::models
