#include "activation_checkpoint.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace eye {

namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define EYE_CKPT_AUTOCAST_BY_DEVICE_TYPE 1
#endif

// The thread's autocast state for one device type (the API changed in libtorch 2.4).
struct AutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kBFloat16;
};

AutocastState autocast_state(torch::DeviceType type) {
  AutocastState s;
#ifdef EYE_CKPT_AUTOCAST_BY_DEVICE_TYPE
  s.enabled = at::autocast::is_autocast_enabled(type);
  s.dtype = at::autocast::get_autocast_dtype(type);
#else
  s.enabled = type == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  s.dtype = type == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
  return s;
}

void set_autocast_state(torch::DeviceType type, const AutocastState& s) {
#ifdef EYE_CKPT_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, s.dtype);
  at::autocast::set_autocast_enabled(type, s.enabled);
#else
  if (type == torch::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(s.dtype);
    at::autocast::set_enabled(s.enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(s.dtype);
    at::autocast::set_cpu_enabled(s.enabled);
  }
#endif
}

// What the backward needs besides the saved input: the layer, the generator and its state at the
// forward, the autocast state of the forward.
struct Segment : torch::CustomClassHolder {
  std::function<torch::Tensor(const torch::Tensor&)> layer;
  at::Generator* rng = nullptr;
  torch::Tensor rng_state;  // undefined when there is no generator
  torch::DeviceType device_type = torch::kCPU;
  AutocastState autocast;
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  // `anchor` is an empty tensor that requires grad: it makes the node part of the graph even when
  // h does not require grad (LoRA: the frozen embedding's output), so that the adapters inside the
  // layer still get their gradients.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor h, torch::Tensor anchor,
                               c10::intrusive_ptr<Segment> seg) {
    ctx->save_for_backward({h});
    ctx->saved_data["segment"] = c10::IValue::make_capsule(seg);
    return seg->layer(h);  // grad mode is off inside Function::forward: no graph is kept
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto seg = c10::static_intrusive_pointer_cast<Segment>(ctx->saved_data["segment"].toCapsule());
    torch::Tensor h = ctx->get_saved_variables()[0];
    torch::Tensor x = h.detach().requires_grad_(true);
    torch::Tensor now;
    const bool replay = seg->rng && seg->rng->defined() && seg->rng_state.defined();
    if (replay) {
      now = seg->rng->get_state();
      seg->rng->set_state(seg->rng_state);  // the dropout masks of the forward, again
    }
    const AutocastState outer = autocast_state(seg->device_type);
    try {
      torch::AutoGradMode grad_on(true);
      set_autocast_state(seg->device_type, seg->autocast);
      torch::Tensor y = seg->layer(x);
      set_autocast_state(seg->device_type, outer);
      if (seg->autocast.enabled && !outer.enabled) at::autocast::clear_cache();
      torch::autograd::backward({y}, {grads[0]});
    } catch (...) {
      set_autocast_state(seg->device_type, outer);
      if (replay) seg->rng->set_state(now);
      throw;
    }
    if (replay) seg->rng->set_state(now);  // the stream continues where the forward left it
    return {x.grad(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed_layer(const std::function<torch::Tensor(const torch::Tensor&)>& layer, const torch::Tensor& h,
                                 at::Generator* rng, torch::DeviceType device_type) {
  if (!torch::GradMode::is_enabled()) return layer(h);
  auto seg = c10::make_intrusive<Segment>();
  seg->layer = layer;
  seg->rng = rng;
  if (rng && rng->defined()) seg->rng_state = rng->get_state();
  seg->device_type = device_type;
  seg->autocast = autocast_state(device_type);
  torch::Tensor anchor = torch::empty({0}, torch::TensorOptions().dtype(h.scalar_type()).device(h.device())).requires_grad_(true);
  return CheckpointFunction::apply(h, anchor, seg);
}

}  // namespace eye
