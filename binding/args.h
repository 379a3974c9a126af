// Argument readers shared by the wrapper classes: one definition each (issue 11), so a JS argument
// is read and refused the same way by every method. Every refusal is an EngineError(Argument)
// naming the argument or option, which the binding's guard() turns into a coded JS error.
#pragma once
#include <napi.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "engine.h"

namespace eyebind {

// Locks the model for the caller's scope and refuses a disposed or still empty one
// (EngineError(State)). Every worker (off the JS thread) that reads or changes the weights goes
// through it; it waits while another call holds the lock.
std::unique_lock<std::mutex> lock_model(eye::ModelHandle& h);

// For the synchronous methods (info, getParameter, addLora, …), which run on the JS thread: takes
// the lock only if it is free. A model locked by a running call is refused at once with
// EngineError(Busy) naming `what`, instead of blocking the event loop until that call ends; a
// disposed or empty model with EngineError(State).
std::unique_lock<std::mutex> try_lock_model(eye::ModelHandle& h, const char* what);

// Argument i as a string; `what` names the call in the error ("load(dir)").
std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* what);

// Argument i as an options object; absent or not an object → an empty object (every option then
// takes its default).
Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i);

// Option k as a string; undefined/null → def; any other type is refused.
std::string string_option(const Napi::Object& o, const char* k, const std::string& def);

// Option k as a number (a JS double); undefined/null → def; any other type, NaN and ±Infinity are
// refused (EngineError(Argument) naming the option).
double number_option(const Napi::Object& o, const char* k, double def);

// {threads} from an options object: libtorch intra-op threads for the call, 0 = the default
// (undefined/null → 0); a negative or non-number value is refused.
int threads_option(const Napi::Object& o);

// An integer list from an array of numbers or an integer TypedArray; undefined/null → empty.
// `what` names the argument in the error.
std::vector<int64_t> int_list(const Napi::Value& v, const std::string& what);

}  // namespace eyebind
