// Dropout masks for the LoRA branch (PEFT's lora_dropout), drawn in parallel on the CPU.
#pragma once
#include <ATen/core/Generator.h>
#include <torch/torch.h>

namespace eye {

// A tensor shaped and typed like `like` whose elements are 0 with probability p and 1/(1-p)
// otherwise (the inverted-dropout scale folded in, so the caller needs one multiply).
//
// CPU: a counter-based stream — element i is decided by SplitMix64(seed + (i/2)·γ) (Steele, Lea &
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), low 32 bits for even i,
// high for odd — so any thread count fills the same mask in parallel. ATen's CPU bernoulli_ is a
// serial loop unless it runs on an Intel CPU with MKL; on the 2-core AMD machine it cost ~5% of a
// LoRA step. One 64-bit seed is drawn from `gen` per call (under its lock), so the generator's
// saved state still makes runs and resumes bit-exact. Elements are kept iff the 32-bit draw is
// ≥ round(p·2^32): the keep probability is 1−p to within 2^-32.
// CUDA (and any other device): bernoulli_ with `gen` (a Philox generator there), scaled in place.
// `gen` may be null: the device's default generator. p must be in [0, 1); p = 0 gives all ones.
torch::Tensor dropout_scale_mask(const torch::Tensor& like, double p, at::Generator* gen);

}  // namespace eye
