// Activation (gradient) checkpointing of one decoder layer, as torch.utils.checkpoint
// (use_reentrant=True) does in Python — libtorch has no checkpoint API of its own.
//
// The forward runs the layer without recording a graph and keeps only its input h; the backward
// recomputes the layer from h with gradients on and backpropagates through the recomputation
// (accumulating the layer's parameter/adapter gradients into their .grad, as a plain backward
// would). Memory: one layer's activations at a time plus the inputs of every layer, instead of
// every layer's activations; cost: one extra forward of each layer per step.
//
// The recomputation must repeat the forward exactly: the LoRA-dropout generator's state is saved
// before the forward and replayed for the recomputation (then restored, so the stream continues as
// if nothing was recomputed), and the thread's autocast state is captured and re-applied (the
// backward runs after the trainer's autocast scope has closed, and on CUDA on another thread).
// Gradients then equal the uncheckpointed ones (test/engine/memory.test.ts, float64, dropout > 0).
//
// Only for gradients through .grad (loss.backward()); not for torch::autograd::grad with explicit
// inputs or double backward.
#pragma once
#include <torch/torch.h>

#include <functional>

namespace eye {

// y = layer(h), checkpointed. `layer` must be a pure function of its input, the module parameters
// and `rng` (it is called again during the backward: capture what it needs by value). `rng` (may
// be null or undefined) is the generator the layer draws dropout masks from; `device_type` is the
// device whose autocast state applies. Without grad mode, simply returns layer(h).
torch::Tensor checkpointed_layer(const std::function<torch::Tensor(const torch::Tensor&)>& layer, const torch::Tensor& h,
                                 at::Generator* rng, torch::DeviceType device_type);

}  // namespace eye
