#include "inspect.h"

#include "errors.h"
#include "loss.h"
#include "trainer.h"

#include <optional>

namespace eye {

InspectResult inspect_forward(CausalLM& model, const Batch& b, const InspectOptions& o) {
  validate_batch(b, model->config.vocab_size);
  for (int64_t l : o.attention_layers)
    if (l < 0 || l >= model->config.num_hidden_layers)
      fail(ErrorCode::Argument, "attention layer " + std::to_string(l) + " does not exist (model has " +
                                    std::to_string(model->config.num_hidden_layers) + " layers)");
  model->eval();
  // Grad mode is per thread and libuv reuses its worker threads: a scoped guard puts the caller's
  // mode back however this returns (a typed error mid-forward included). Recording stops after
  // the backward pass (grad_mode.reset()): the copies handed back to JS need no graph.
  std::optional<torch::AutoGradMode> grad_mode(std::in_place, o.grads);
  AttentionCapture cap;
  cap.layers = o.attention_layers;
  InspectResult r;
  for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
  for (auto& kv : model->lora_tensors()) kv.second.mutable_grad() = torch::Tensor();
  torch::Tensor ref_lp;
  // π_ref: the adapters-off model with LoRA; without LoRA the loaded weights are the reference
  // (so r = 0 and L_pref = ln 2: a loaded full checkpoint has no other starting point).
  if (o.reference) ref_lp = reference_logprobs(*model, model->has_lora() ? nullptr : model.get(), b).to(torch::kFloat64);
  LoraOffGuard restore(*model);  // puts the switch back on exit
  model->lora_enabled = !o.adapters_off && restore.prev;
  torch::Tensor logits = model->forward(b.input_ids, b.attention_mask, o.attention_layers.empty() ? nullptr : &cap);
  LossOutput lo = weighted_ce(logits, b, o.normalize_by_weights);
  torch::Tensor total = lo.loss;
  if (o.reference) {
    PrefOutput po = preference_loss(token_logprobs(logits, b).to(torch::kFloat64), ref_lp, b, o.beta);
    r.pref = po.loss.item<double>();
    r.pref_sequences = po.sequences;
    if (o.gamma != 0) total = total + o.gamma * po.loss.to(total.scalar_type());
  }
  r.total = total.item<double>();
  if (o.grads) {
    total.backward();
    for (auto& kv : model->trainable())
      if (kv.second.grad().defined())
        r.grads.emplace_back(kv.first, kv.second.grad().detach().to(torch::Device(torch::kCPU), /*non_blocking=*/false, /*copy=*/true));
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
    for (auto& kv : model->lora_tensors()) kv.second.mutable_grad() = torch::Tensor();
  }
  grad_mode.reset();
  torch::NoGradGuard no_grad;
  // Everything handed back to JS is copied to the CPU here, off the JS thread.
  const auto out_t = logits.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  r.logits = logits.detach().to(torch::kCPU, out_t).contiguous();
  r.token_ce = lo.token_ce.to(torch::kCPU, out_t).contiguous();
  r.loss = lo.loss.item<double>();
  r.tokens = lo.active;
  for (size_t i = 0; i < cap.layers.size(); ++i)
    r.attention.emplace_back(cap.layers[i], cap.probs[i].detach().to(torch::kCPU, out_t).contiguous());
  return r;
}

}  // namespace eye
