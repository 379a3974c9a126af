// Cooperative stop requests and progress reports for long engine calls (issue 11).
//
// The binding installs a CallScope on the worker thread that runs one call (a training step, a
// generation, a load or a save). The engine's long loops — micro-batches, decoding steps, tensors
// of a checkpoint — call check_cancel(), which throws EngineError(Interrupted) once the caller
// asked to stop, and report_progress(). Both read a thread-local, so engine signatures stay as
// they are and a loop run without a scope (tests, the trainer state, data-parallel steps) pays one
// thread-local load per check and never stops.
#pragma once
#include <cstdint>
#include <functional>

namespace eye {

struct CallControl {
  // Nonzero once another thread (the JS thread, on an AbortSignal) asks the call to stop. It points
  // into memory that outlives the call (a SharedArrayBuffer the worker keeps alive) and is only
  // read, atomically. Null: the call cannot be stopped.
  const int32_t* stop_flag = nullptr;
  // Called on the worker thread after each unit of work (a micro-batch done: done of total). Empty: none.
  std::function<void(int64_t done, int64_t total)> on_progress;
};

// Makes `c` the calling thread's control for the scope's lifetime (the previous one comes back after).
class CallScope {
 public:
  explicit CallScope(const CallControl* c);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  const CallControl* prev_;
};

// A region where stop requests are no longer honoured: past a point of no return (a sharded save
// whose first file is already in place finishes, so the folder never mixes two checkpoints).
// Progress reports still go through.
class NoCancelScope {
 public:
  NoCancelScope();
  ~NoCancelScope();
  NoCancelScope(const NoCancelScope&) = delete;
  NoCancelScope& operator=(const NoCancelScope&) = delete;

 private:
  bool prev_;
};

// Whether the calling thread's call was asked to stop (false without a scope or in a NoCancelScope).
bool cancel_requested();
// Throws EngineError(Interrupted) naming `what` when cancel_requested().
void check_cancel(const char* what);
// Reports progress to the calling thread's call, if it listens.
void report_progress(int64_t done, int64_t total);

}  // namespace eye
