// Typed engine errors. Every failure the user can cause (a bad file, a bad batch, a bad option)
// throws EngineError with a stable code; the binding turns it into a JS Error whose `code` is
// that string, so the TypeScript side can map it onto a typed error class.
#pragma once
#include <stdexcept>
#include <string>

namespace eye {

// Interrupted: the caller's AbortSignal stopped the call (cpp/cancel.h); the object it ran on is left
// as it was before the call. Busy: a synchronous call found the model locked by a running one and
// refused at once rather than block the JS thread.
enum class ErrorCode { Safetensors, Config, Checkpoint, Batch, Argument, State, Distributed, Interrupted, Busy };

inline const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::Safetensors: return "EYEMULATOR_SAFETENSORS";
    case ErrorCode::Config: return "EYEMULATOR_CONFIG";
    case ErrorCode::Checkpoint: return "EYEMULATOR_CHECKPOINT";
    case ErrorCode::Batch: return "EYEMULATOR_BATCH";
    case ErrorCode::Argument: return "EYEMULATOR_ARGUMENT";
    case ErrorCode::State: return "EYEMULATOR_STATE";
    case ErrorCode::Distributed: return "EYEMULATOR_DISTRIBUTED";  // a collective, rendezvous or peer failed
    case ErrorCode::Interrupted: return "EYEMULATOR_INTERRUPTED";  // the code of src/util/errors.ts InterruptedError
    case ErrorCode::Busy: return "EYEMULATOR_BUSY";
  }
  return "EYEMULATOR_ENGINE";
}

struct EngineError : std::runtime_error {
  ErrorCode code;
  EngineError(ErrorCode c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

[[noreturn]] inline void fail(ErrorCode c, const std::string& msg) { throw EngineError(c, msg); }

}  // namespace eye
