/**
 * An independent float64 re-computation of the HF Llama/Qwen2 forward pass in plain loops, written
 * from the transformers modelling code's equations (RMSNorm, RoPE incl. linear/llama3 scaling,
 * grouped-query attention with causal + padding masks, SwiGLU), used to check the engine.
 */
type Params = Map<string, Float64Array>;

export interface RefConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  rope_scaling?: null | { rope_type?: string; factor: number; low_freq_factor?: number; high_freq_factor?: number; original_max_position_embeddings?: number };
}

function linear(x: Float64Array, w: Float64Array, out: number, inp: number, b?: Float64Array): Float64Array {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inp; i++) s += w[o * inp + i] * x[i];
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ms = 0;
  for (const v of x) ms += v * v;
  const r = 1 / Math.sqrt(ms / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

export function invFreq(c: RefConfig, d: number): number[] {
  const inv: number[] = [];
  for (let i = 0; i < d; i += 2) inv.push(1 / Math.pow(c.rope_theta, i / d));
  const rs = c.rope_scaling;
  if (!rs) return inv;
  const kind = rs.rope_type ?? (rs as { type?: string }).type;
  if (kind === 'linear') return inv.map((f) => f / rs.factor);
  if (kind === 'llama3') {
    const lf = rs.low_freq_factor!, hf = rs.high_freq_factor!, old = rs.original_max_position_embeddings!;
    const lowW = old / lf, highW = old / hf;
    return inv.map((f) => {
      const wl = (2 * Math.PI) / f;
      if (wl < highW) return f;
      if (wl > lowW) return f / rs.factor;
      const s = (old / wl - lf) / (hf - lf);
      return (1 - s) * (f / rs.factor) + s * f;
    });
  }
  throw new Error('unknown rope type');
}

/** logits [B][T][V] */
export function referenceForward(c: RefConfig, p: Params, ids: number[][], mask: number[][]): number[][][] {
  const H = c.num_attention_heads, KV = c.num_key_value_heads, D = c.hidden_size / H, E = c.hidden_size, I = c.intermediate_size;
  const inv = invFreq(c, D);
  const out: number[][][] = [];
  for (let b = 0; b < ids.length; b++) {
    const T = ids[b].length;
    let pos = -1;
    const positions = mask[b].map((m) => (m ? ++pos : Math.max(pos, 0)));
    // Positions as cumsum(mask)-1 clamped at 0 (the engine's rule; equals arange without padding).
    let cs = 0;
    for (let t = 0; t < T; t++) { cs += mask[b][t]; positions[t] = Math.max(cs - 1, 0); }
    const emb = p.get('model.embed_tokens.weight')!;
    let h = ids[b].map((id) => emb.slice(id * E, (id + 1) * E));
    const rope = (v: Float64Array, t: number) => {
      const r = new Float64Array(D);
      for (let i = 0; i < D; i++) {
        const f = inv[i % (D / 2)] * positions[t];
        const rot = i < D / 2 ? -v[i + D / 2] : v[i - D / 2];
        r[i] = v[i] * Math.cos(f) + rot * Math.sin(f);
      }
      return r;
    };
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const P = (n: string) => p.get(`model.layers.${l}.${n}`);
      const xs = h.map((x) => rmsnorm(x, P('input_layernorm.weight')!, c.rms_norm_eps));
      const q = xs.map((x) => linear(x, P('self_attn.q_proj.weight')!, H * D, E, P('self_attn.q_proj.bias')));
      const k = xs.map((x) => linear(x, P('self_attn.k_proj.weight')!, KV * D, E, P('self_attn.k_proj.bias')));
      const v = xs.map((x) => linear(x, P('self_attn.v_proj.weight')!, KV * D, E, P('self_attn.v_proj.bias')));
      const attnOut = xs.map(() => new Float64Array(H * D));
      for (let hd = 0; hd < H; hd++) {
        const kvh = Math.floor(hd / (H / KV));
        for (let t = 0; t < T; t++) {
          const qt = rope(q[t].slice(hd * D, (hd + 1) * D), t);
          const scores: number[] = [];
          for (let s = 0; s < T; s++) {
            const allowed = s <= t && mask[b][s] === 1;
            if (!allowed) { scores.push(-Infinity); continue; }
            const ks = rope(k[s].slice(kvh * D, (kvh + 1) * D), s);
            let dot = 0;
            for (let i = 0; i < D; i++) dot += qt[i] * ks[i];
            scores.push(dot / Math.sqrt(D));
          }
          const m = Math.max(...scores);
          const ex = scores.map((x) => (x === -Infinity ? 0 : Math.exp(x - m)));
          const z = ex.reduce((a, x) => a + x, 0);
          for (let s = 0; s < T; s++) {
            if (!ex[s]) continue;
            for (let i = 0; i < D; i++) attnOut[t][hd * D + i] += (ex[s] / z) * v[s][kvh * D + i];
          }
        }
      }
      h = h.map((x, t) => {
        const o = linear(attnOut[t], P('self_attn.o_proj.weight')!, E, H * D, P('self_attn.o_proj.bias'));
        const r = x.map((val, i) => val + o[i]);
        const n = rmsnorm(r, P('post_attention_layernorm.weight')!, c.rms_norm_eps);
        const g = linear(n, P('mlp.gate_proj.weight')!, I, E);
        const u = linear(n, P('mlp.up_proj.weight')!, I, E);
        const a = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
        const d = linear(a, P('mlp.down_proj.weight')!, E, I);
        return r.map((val, i) => val + d[i]);
      });
    }
    const head = c.tie_word_embeddings ? p.get('model.embed_tokens.weight')! : p.get('lm_head.weight')!;
    out.push(h.map((x) => Array.from(linear(rmsnorm(x, p.get('model.norm.weight')!, c.rms_norm_eps), head, c.vocab_size, E))));
  }
  return out;
}
