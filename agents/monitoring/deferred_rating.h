// A rating of a deferred answer (spec.worker.defer: the tags deferred,
// deferred_cost, worker_answer, worker_confidence). The served answer was the
// teacher's, so its thumbs rate the teacher; monitoring watches the worker. So
// the rating becomes whether the worker's own answer agreed with the one
// served: down when worker_answer differs from the output; when it is the
// same, the thumbs rate the worker's answer too; predicted becomes the worker's answer, and
// the deferral tags leave the categories the diagnosis ranks. Without this, a
// worker that defers its worst answers to a good teacher would look healthy
// after a drift, and no cycle would start.
#pragma once

#include "agents/monitoring/trigger_engine.h"

namespace kaizen::agents {

// Rewrites `a` as above when it is a deferral (tag `deferred`); returns whether it was.
bool RateWorkerOfDeferral(RatedAnswer* a);

}  // namespace kaizen::agents
