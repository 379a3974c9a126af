// GPTBigCode (StarCoder, SantaCoder; HF modeling_gpt_bigcode.py) with HF's names:
// transformer.{wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, ln_f}.
// Learned absolute positions (no RoPE), LayerNorm with bias, fused c_attn, multi-query attention
// (one shared K/V head) or multi-head, gelu (tanh approximation unless activation_function = gelu).
#include <cmath>

#include "errors.h"
#include "llama.h"

namespace eye {

namespace {

struct BigCodeAttentionImpl : torch::nn::Module {
  explicit BigCodeAttentionImpl(const ModelConfig& c)
      : n_heads(c.num_attention_heads), head_dim(c.head_dim), multi_query(c.multi_query) {
    const int64_t kv = multi_query ? 2 * head_dim : 2 * c.hidden_size;
    c_attn = register_module("c_attn", Proj(c.hidden_size, c.hidden_size + kv, true, c.param_dtype));
    c_proj = register_module("c_proj", Proj(c.hidden_size, c.hidden_size, true, c.param_dtype));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, torch::Tensor* probs_out,
                        torch::Tensor* k_cache, torch::Tensor* v_cache) {
    const int64_t B = x.size(0), T = x.size(1), E = n_heads * head_dim;
    torch::Tensor qkv = c_attn(x);
    torch::Tensor q, k, v;
    if (multi_query) {
      // HF: query, key_value = c_attn(x).split((embed_dim, 2·head_dim)); one shared K/V head.
      q = qkv.narrow(-1, 0, E).view({B, T, n_heads, head_dim}).transpose(1, 2);
      k = qkv.narrow(-1, E, head_dim).unsqueeze(1);  // [B,1,T,D]
      v = qkv.narrow(-1, E + head_dim, head_dim).unsqueeze(1);
    } else {
      // HF: view(B,T,H,3D) then split per head into (D, 2D), the 2D part into (D, D).
      torch::Tensor per = qkv.view({B, T, n_heads, 3 * head_dim}).transpose(1, 2);
      q = per.narrow(-1, 0, head_dim);
      k = per.narrow(-1, head_dim, head_dim);
      v = per.narrow(-1, 2 * head_dim, head_dim);
    }
    append_cache(k, v, k_cache, v_cache);
    return c_proj(attend(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(head_dim)), probs_out));
  }
  Proj c_attn{nullptr}, c_proj{nullptr};
  int64_t n_heads, head_dim;
  bool multi_query;
};
TORCH_MODULE(BigCodeAttention);

struct BigCodeMLPImpl : torch::nn::Module {
  explicit BigCodeMLPImpl(const ModelConfig& c) : tanh_gelu(c.activation != "gelu") {
    c_fc = register_module("c_fc", Proj(c.hidden_size, c.intermediate_size, true, c.param_dtype));
    c_proj = register_module("c_proj", Proj(c.intermediate_size, c.hidden_size, true, c.param_dtype));
  }
  torch::Tensor forward(const torch::Tensor& x) { return c_proj(torch::gelu(c_fc(x), tanh_gelu ? "tanh" : "none")); }
  Proj c_fc{nullptr}, c_proj{nullptr};
  bool tanh_gelu;
};
TORCH_MODULE(BigCodeMLP);

struct BigCodeBlockImpl : torch::nn::Module {
  explicit BigCodeBlockImpl(const ModelConfig& c) {
    ln_1 = register_module("ln_1", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
    attn = register_module("attn", BigCodeAttention(c));
    ln_2 = register_module("ln_2", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
    mlp = register_module("mlp", BigCodeMLP(c));
  }
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache) {
    torch::Tensor x = h + attn->forward(ln_1(h), mask, probs_out, k_cache, v_cache);
    return x + mlp->forward(ln_2(x));
  }
  LayerNorm ln_1{nullptr}, ln_2{nullptr};
  BigCodeAttention attn{nullptr};
  BigCodeMLP mlp{nullptr};
};
TORCH_MODULE(BigCodeBlock);

// "transformer." of GPTBigCode.
struct BigCodeDecoderImpl : FamilyDecoder {
  explicit BigCodeDecoderImpl(const ModelConfig& c) : n_positions(c.max_position_embeddings) {
    wte = register_module("wte", Embedding(c.vocab_size, c.hidden_size, c.param_dtype));
    wpe = register_module("wpe", Embedding(c.max_position_embeddings, c.hidden_size, c.param_dtype));
    h = register_module("h", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) h->push_back(BigCodeBlock(c));
    ln_f = register_module("ln_f", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
  }
  const char* root_name() const override { return "transformer"; }
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& positions) override {
    if (positions.numel() && positions.max().item<int64_t>() >= n_positions)
      fail(ErrorCode::Batch, "sequence longer than n_positions (" + std::to_string(n_positions) + ") of this GPTBigCode model");
    return wte(ids) + wpe(positions);
  }
  torch::Tensor layer(int64_t i, const torch::Tensor& x, const LayerInputs& in, torch::Tensor* probs_out,
                      torch::Tensor* k_cache, torch::Tensor* v_cache) override {
    return h->ptr<BigCodeBlockImpl>(i)->forward(x, in.mask, probs_out, k_cache, v_cache);
  }
  torch::Tensor final_norm(const torch::Tensor& x) override { return ln_f(x); }
  torch::Tensor& embedding_weight() override { return wte->weight; }
  void list_projections(std::vector<std::pair<std::string, Proj>>& out) override {
    for (size_t i = 0; i < h->size(); ++i) {
      auto* L = h->ptr<BigCodeBlockImpl>(i).get();
      const std::string p = "transformer.h." + std::to_string(i) + ".";
      out.emplace_back(p + "attn.c_attn", L->attn->c_attn);
      out.emplace_back(p + "attn.c_proj", L->attn->c_proj);
      out.emplace_back(p + "mlp.c_fc", L->mlp->c_fc);
      out.emplace_back(p + "mlp.c_proj", L->mlp->c_proj);
    }
  }
  Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};
  int64_t n_positions;
};

}  // namespace

std::shared_ptr<FamilyDecoder> make_bigcode_decoder(const ModelConfig& c) { return std::make_shared<BigCodeDecoderImpl>(c); }

}  // namespace eye
