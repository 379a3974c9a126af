// Typed engine errors. Every failure the user can cause (a bad file, a bad batch, a bad option)
// throws EngineError with a stable code; the binding turns it into a JS Error whose `code` is
// that string, so the TypeScript side can map it onto a typed error class.
#pragma once
#include <stdexcept>
#include <string>

namespace eye {

enum class ErrorCode { Safetensors, Config, Checkpoint, Batch, Argument, State, Distributed };

inline const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::Safetensors: return "EYEMULATOR_SAFETENSORS";
    case ErrorCode::Config: return "EYEMULATOR_CONFIG";
    case ErrorCode::Checkpoint: return "EYEMULATOR_CHECKPOINT";
    case ErrorCode::Batch: return "EYEMULATOR_BATCH";
    case ErrorCode::Argument: return "EYEMULATOR_ARGUMENT";
    case ErrorCode::State: return "EYEMULATOR_STATE";
    case ErrorCode::Distributed: return "EYEMULATOR_DISTRIBUTED";  // a collective, rendezvous or peer failed
  }
  return "EYEMULATOR_ENGINE";
}

struct EngineError : std::runtime_error {
  ErrorCode code;
  EngineError(ErrorCode c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

[[noreturn]] inline void fail(ErrorCode c, const std::string& msg) { throw EngineError(c, msg); }

}  // namespace eye
