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
// (EngineError(State)). Every call that reads or changes the weights goes through it.
std::unique_lock<std::mutex> lock_model(eye::ModelHandle& h);

// Argument i as a string; `what` names the call in the error ("load(dir)").
std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* what);

// Argument i as an options object; absent or not an object → an empty object (every option then
// takes its default).
Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i);

// Option k as a string; undefined/null → def; any other type is refused.
std::string string_option(const Napi::Object& o, const char* k, const std::string& def);

// Option k as a number (a JS double); undefined/null → def; any other type is refused.
double number_option(const Napi::Object& o, const char* k, double def);

// {threads} from an options object: libtorch intra-op threads for the call, 0 = the default
// (undefined/null → 0); a negative or non-number value is refused.
int threads_option(const Napi::Object& o);

// An integer list from an array of numbers or an integer TypedArray; undefined/null → empty.
// `what` names the argument in the error.
std::vector<int64_t> int_list(const Napi::Value& v, const std::string& what);

}  // namespace eyebind
