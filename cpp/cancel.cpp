#include "cancel.h"

#include <string>

#include "errors.h"

namespace eye {

namespace {
thread_local const CallControl* t_control = nullptr;
thread_local bool t_no_cancel = false;
}  // namespace

CallScope::CallScope(const CallControl* c) : prev_(t_control) { t_control = c; }
CallScope::~CallScope() { t_control = prev_; }

NoCancelScope::NoCancelScope() : prev_(t_no_cancel) { t_no_cancel = true; }
NoCancelScope::~NoCancelScope() { t_no_cancel = prev_; }

bool cancel_requested() {
  const CallControl* c = t_control;
  // Relaxed is enough: the flag only ever goes 0 → 1 and nothing is published through it.
  return c && c->stop_flag && !t_no_cancel && __atomic_load_n(c->stop_flag, __ATOMIC_RELAXED) != 0;
}

void check_cancel(const char* what) {
  if (cancel_requested()) fail(ErrorCode::Interrupted, std::string(what) + " was aborted (its AbortSignal fired)");
}

void report_progress(int64_t done, int64_t total) {
  const CallControl* c = t_control;
  if (c && c->on_progress) c->on_progress(done, total);
}

}  // namespace eye
