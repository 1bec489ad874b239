#include "agents/monitoring/deferred_rating.h"

namespace kaizen::agents {

bool RateWorkerOfDeferral(RatedAnswer* a) {
  if (!a->tags.count("deferred")) return false;
  if (auto own = a->tags.find("worker_answer"); own != a->tags.end()) {
    // Disagreeing with the teacher is the worker's failure; agreeing with an
    // answer the user rated down is one too (both were wrong).
    a->down = own->second != a->predicted || a->down;
    a->predicted = own->second;
  }
  for (const char* key : {"deferred", "deferred_cost", "worker_answer", "worker_confidence"}) a->tags.erase(key);
  return true;
}

}  // namespace kaizen::agents
