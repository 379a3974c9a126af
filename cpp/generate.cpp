#include "generate.h"

#include <algorithm>
#include <cmath>

#include "cancel.h"
#include "errors.h"

namespace eye {

namespace {

bool is_eos(const GenerateOptions& o, int64_t t) { return std::find(o.eos_ids.begin(), o.eos_ids.end(), t) != o.eos_ids.end(); }

// int64 ids on the model's device (built on the CPU, copied once).
torch::Tensor ids_tensor(const std::vector<int64_t>& v, torch::Device d) { return torch::tensor(v, torch::kInt64).to(d); }

// Left-pads prompts to one length: ids [B,P], mask [B,P], on device `d` (filled on the CPU, then moved).
std::pair<torch::Tensor, torch::Tensor> left_pad(const std::vector<std::vector<int64_t>>& prompts, int64_t pad, torch::Device d) {
  int64_t P = 0;
  for (auto& p : prompts) P = std::max<int64_t>(P, static_cast<int64_t>(p.size()));
  const int64_t B = static_cast<int64_t>(prompts.size());
  torch::Tensor ids = torch::full({B, P}, pad, torch::kInt64), mask = torch::zeros({B, P}, torch::kInt64);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = static_cast<int64_t>(prompts[b].size()), off = P - n;
    if (n) {
      ids[b].narrow(0, off, n).copy_(torch::tensor(prompts[b], torch::kInt64));
      mask[b].narrow(0, off, n).fill_(1);
    }
  }
  return {ids.to(d), mask.to(d)};
}

// One decoding step's log-probabilities of the next token [rows, V] (float32/64), with or without
// the cache. `ids` is the whole sequence so far; with a cache only its new tail is fed.
torch::Tensor next_logprobs(CausalLM& m, const torch::Tensor& ids, const torch::Tensor& mask, KVCache* cache,
                            AttentionCapture* cap) {
  torch::Tensor feed = ids;
  if (cache && cache->length() > 0) feed = ids.narrow(1, cache->length(), ids.size(1) - cache->length());
  torch::Tensor h = m->hidden(feed, mask, cap, cache);
  torch::Tensor logits = m->logits_from_hidden(h.narrow(1, h.size(1) - 1, 1)).squeeze(1);
  if (logits.scalar_type() != torch::kFloat64) logits = logits.to(torch::kFloat32);
  return torch::log_softmax(logits, -1);
}

void check(CausalLM& m, const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& o) {
  if (prompts.empty()) fail(ErrorCode::Argument, "generate needs at least one prompt");
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) fail(ErrorCode::Argument, "prompt " + std::to_string(i) + " is empty");
    for (int64_t t : prompts[i])
      if (t < 0 || t >= m->config.vocab_size)
        fail(ErrorCode::Argument, "prompt " + std::to_string(i) + " holds token id " + std::to_string(t) + " outside the vocabulary");
  }
  if (o.max_new_tokens < 1) fail(ErrorCode::Argument, "maxNewTokens must be at least 1");
  if (o.num_beams < 1) fail(ErrorCode::Argument, "beams must be at least 1");
  for (int64_t l : o.attention_layers)
    if (l < 0 || l >= m->config.num_hidden_layers) fail(ErrorCode::Argument, "attention layer " + std::to_string(l) + " does not exist");
}

std::vector<Generation> greedy(CausalLM& m, const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& o,
                               const StepCallback& on_step) {
  const int64_t B = static_cast<int64_t>(prompts.size());
  const torch::Device dev = m->device();
  auto [ids, mask] = left_pad(prompts, o.pad_id, dev);
  const int64_t P = ids.size(1);
  KVCache cache;
  AttentionCapture cap;
  cap.layers = o.attention_layers;
  std::vector<Generation> out(B);
  std::vector<std::vector<std::vector<torch::Tensor>>> attn(B, std::vector<std::vector<torch::Tensor>>(o.attention_layers.size()));
  std::vector<bool> done(B, false);
  for (int64_t step = 0; step < o.max_new_tokens; ++step) {
    check_cancel("generation");  // an abort stops before the next decoding step (cpp/cancel.h)
    torch::Tensor lp = next_logprobs(m, ids, mask, o.use_cache ? &cache : nullptr, cap.layers.empty() ? nullptr : &cap);
    auto [best_d, arg_d] = lp.max(-1);
    // Bookkeeping on the CPU: one device→host copy per step instead of one sync per row.
    torch::Tensor best = best_d.to(torch::kCPU), arg = arg_d.to(torch::kCPU);
    torch::Tensor next = arg.clone();
    std::vector<int64_t> emitted(B, -1);
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) {
        next[b] = o.pad_id;
        continue;
      }
      const int64_t t = arg[b].item<int64_t>();
      out[b].tokens.push_back(t);
      out[b].logprobs.push_back(best[b].item<double>());
      emitted[b] = t;
      for (size_t li = 0; li < cap.layers.size(); ++li) {
        // The query that produced this token is the last one; keep its attention over the prompt.
        torch::Tensor row = cap.probs[li][b].select(1, cap.probs[li].size(2) - 1);  // [H, Tk]
        const int64_t n = static_cast<int64_t>(prompts[b].size());
        attn[b][li].push_back(row.narrow(1, P - n, n).to(torch::kCPU, torch::kFloat32, false, /*copy=*/true));
      }
      if (is_eos(o, t)) {
        done[b] = true;
        out[b].finish = "eos";
      }
    }
    if (on_step && !on_step(step, emitted)) break;
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    ids = torch::cat({ids, next.to(dev).unsqueeze(1)}, 1);
    // Finished rows keep decoding padding that nothing attends to (their output is complete).
    torch::Tensor live = ids_tensor(std::vector<int64_t>(done.begin(), done.end()), dev).eq(0).to(torch::kInt64);
    mask = torch::cat({mask, live.unsqueeze(1)}, 1);
  }
  for (int64_t b = 0; b < B; ++b) {
    if (out[b].finish.empty()) out[b].finish = "length";
    for (size_t li = 0; li < cap.layers.size(); ++li)
      out[b].attention.emplace_back(cap.layers[li], attn[b][li].empty() ? torch::zeros({0}) : torch::stack(attn[b][li]));
  }
  return out;
}

struct Hyp {
  std::vector<int64_t> tokens;
  std::vector<double> logprobs;
  double score = 0;  // Σ log p
};

// Beam search for one prompt. At each step the K best continuations of all alive beams are kept;
// a continuation ending in EOS becomes a finished hypothesis and the beam shrinks by one, so K = 1
// is exactly greedy decoding. At max length, alive beams are finished as they are. The answer is
// the finished hypothesis with the best Σ log p / len^length_penalty.
Generation beam_one(CausalLM& m, const std::vector<int64_t>& prompt, const GenerateOptions& o) {
  int64_t K = o.num_beams;
  std::vector<Hyp> alive(1), finished;
  std::vector<std::string> reasons;
  const torch::Device dev = m->device();
  torch::Tensor base = ids_tensor(prompt, dev).unsqueeze(0);
  KVCache cache;
  torch::Tensor ids = base, mask = torch::ones_like(base);
  for (int64_t step = 0; step < o.max_new_tokens && K > 0; ++step) {
    check_cancel("generation");
    torch::Tensor lp = next_logprobs(m, ids, mask, o.use_cache ? &cache : nullptr, nullptr);  // [rows, V]
    const int64_t V = lp.size(1);
    torch::Tensor scores = lp + torch::tensor([&] {
      std::vector<double> s;
      for (auto& h : alive) s.push_back(h.score);
      return s;
    }(), lp.options()).unsqueeze(1);
    auto [top_d, idx_d] = scores.view({-1}).topk(K);
    torch::Tensor top = top_d.to(torch::kCPU), idx = idx_d.to(torch::kCPU);
    std::vector<Hyp> next;
    std::vector<int64_t> rows;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t flat = idx[k].item<int64_t>(), row = flat / V, tok = flat % V;
      Hyp h = alive[row];
      h.tokens.push_back(tok);
      h.logprobs.push_back(lp[row][tok].item<double>());
      h.score = top[k].item<double>();
      if (is_eos(o, tok)) {
        finished.push_back(std::move(h));
        reasons.push_back("eos");
      } else {
        next.push_back(std::move(h));
        rows.push_back(row);
      }
    }
    K = static_cast<int64_t>(next.size());
    alive = std::move(next);
    if (K == 0) break;
    torch::Tensor sel = ids_tensor(rows, dev);
    for (size_t l = 0; l < cache.k.size(); ++l) {
      cache.k[l] = cache.k[l].index_select(0, sel);
      cache.v[l] = cache.v[l].index_select(0, sel);
    }
    std::vector<int64_t> last;
    for (auto& h : alive) last.push_back(h.tokens.back());
    ids = torch::cat({ids.index_select(0, sel), ids_tensor(last, dev).unsqueeze(1)}, 1);
    mask = torch::ones_like(ids);
  }
  for (auto& h : alive) {
    finished.push_back(h);
    reasons.push_back("length");
  }
  size_t best = 0;
  double best_score = -INFINITY;
  for (size_t i = 0; i < finished.size(); ++i) {
    const double s = finished[i].score / std::pow(static_cast<double>(finished[i].tokens.size()), o.length_penalty);
    if (s > best_score) {
      best_score = s;
      best = i;
    }
  }
  Generation g;
  g.tokens = finished[best].tokens;
  g.logprobs = finished[best].logprobs;
  g.finish = reasons[best];
  return g;
}

}  // namespace

std::vector<Generation> generate(CausalLM& m, const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& o,
                                 const StepCallback& on_step) {
  check(m, prompts, o);
  torch::NoGradGuard ng;
  m->eval();
  if (o.num_beams == 1) return greedy(m, prompts, o, on_step);
  if (!o.attention_layers.empty()) fail(ErrorCode::Argument, "attention capture is available with greedy decoding (beams = 1) only");
  std::vector<Generation> out;
  for (auto& p : prompts) out.push_back(beam_one(m, p, o));
  return out;
}

}  // namespace eye
