// One micro-batch as the engine sees it. All tensors are [B,T] and aligned with input_ids as in
// HF: the logits at position t predict labels[t+1], and that term is weighted by weights[t+1].
#pragma once
#include <torch/torch.h>

#include <string>

namespace eye {

struct Batch {
  torch::Tensor input_ids;       // int64 [B,T]
  torch::Tensor labels;          // int64 [B,T], -100 = no loss
  torch::Tensor weights;         // float32 [B,T] (undefined = all ones)
  torch::Tensor attention_mask;  // int64 [B,T] (undefined = all ones)
  torch::Tensor path_mask;       // bool [B,T] pseudo-scan-path membership (undefined = none)
};

// Throws EngineError(Batch) naming the field when shapes, dtypes or label ids are wrong.
void validate_batch(const Batch& b, int64_t vocab_size);

}  // namespace eye
