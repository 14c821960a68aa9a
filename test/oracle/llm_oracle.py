#!/usr/bin/env python3
# An independent oracle for the decoder architectures, in plain PyTorch (no transformers, no Hub):
# reads a Hugging Face folder (config.json, model.safetensors), runs the whole sequence in float64
# without a cache, and prints JSON: the logits at every prompt position, then 64 greedy tokens and
# the last-position logits before each of them. Written from the models' published definitions
# (Llama, Mistral, Qwen2/3, Gemma 2/3, Phi-3) and transformers' RoPE-scaling formulas.
#
#   python3 llm_oracle.py <folder> <ids as JSON> [steps]

import json
import math
import struct
import sys

import numpy as np
import torch

DT = torch.float64


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        dtype = {'F32': np.float32, 'F16': np.float16}[info['dtype']]
        arr = np.frombuffer(data[a:b], dtype=dtype).reshape(info['shape'])
        out[name.removeprefix('model.')] = torch.tensor(arr.astype(np.float64), dtype=DT)
    return out


def inv_freq(cfg, head_dim, theta, scaled):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=DT) / head_dim))
    inv = inv.to(torch.float32).to(DT)  # transformers keeps inv_freq in float32
    rs = cfg.get('rope_scaling') if scaled else None
    if not rs:
        return inv, 1.0
    kind = rs.get('rope_type', rs.get('type'))
    factor = rs['factor']
    if kind == 'linear':
        return (inv / factor).to(torch.float32).to(DT), 1.0
    if kind == 'llama3':
        old = rs['original_max_position_embeddings']
        low, high = rs['low_freq_factor'], rs['high_freq_factor']
        wave = 2 * math.pi / inv
        out = torch.where(wave > old / low, inv / factor, inv)
        smooth = (old / wave - low) / (high - low)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = (wave >= old / high) & (wave <= old / low)
        return torch.where(medium, smoothed, out).to(torch.float32).to(DT), 1.0
    if kind == 'yarn':
        old = rs.get('original_max_position_embeddings', cfg['max_position_embeddings'])
        fast, slow = rs.get('beta_fast', 32), rs.get('beta_slow', 1)
        att = rs.get('attention_factor', 0.1 * math.log(factor) + 1.0)
        corr = lambda rot: (head_dim * math.log(old / (rot * 2 * math.pi))) / (2 * math.log(theta))
        lo, hi = max(math.floor(corr(fast)), 0), min(math.ceil(corr(slow)), head_dim - 1)
        if lo == hi:
            hi += 0.001
        ramp = torch.clamp((torch.arange(head_dim // 2, dtype=DT) - lo) / (hi - lo), 0, 1)
        extra = 1 - ramp
        return ((inv / factor) * (1 - extra) + inv * extra).to(torch.float32).to(DT), att
    raise SystemExit(f'rope_scaling {kind} not in the oracle')


def rope(x, pos, inv, mscale):
    ang = pos[:, None].to(DT) * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1) * mscale
    sin = torch.cat([ang.sin(), ang.sin()], -1) * mscale
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rot * sin


class Model:
    def __init__(self, folder):
        cfg = json.load(open(f'{folder}/config.json'))
        if cfg['model_type'] == 'gemma3' and 'text_config' in cfg:
            cfg = {**cfg['text_config'], 'model_type': 'gemma3_text'}
        self.cfg = cfg
        self.w = read_safetensors(f'{folder}/model.safetensors')
        t = cfg['model_type']
        self.gemma = t.startswith('gemma')
        self.H = cfg['hidden_size']
        self.nh, self.nkv = cfg['num_attention_heads'], cfg.get('num_key_value_heads', cfg['num_attention_heads'])
        self.hd = cfg.get('head_dim') or self.H // self.nh
        self.L = cfg['num_hidden_layers']
        self.eps = cfg.get('rms_norm_eps', 1e-6)
        self.qk_norm = t in ('qwen3', 'gemma3_text')
        act = cfg.get('hidden_activation') or cfg.get('hidden_act', 'silu')
        self.act = torch.nn.functional.silu if act == 'silu' else (lambda v: torch.nn.functional.gelu(v, approximate='tanh'))
        self.scale = cfg['query_pre_attn_scalar'] ** -0.5 if cfg.get('query_pre_attn_scalar') else self.hd ** -0.5
        self.attn_cap, self.final_cap = cfg.get('attn_logit_softcapping'), cfg.get('final_logit_softcapping')
        window = cfg.get('sliding_window')
        if t == 'gemma2':
            sliding = [i % 2 == 0 for i in range(self.L)]
        elif t == 'gemma3_text':
            p = cfg.get('sliding_window_pattern', 6)
            sliding = [bool((i + 1) % p) for i in range(self.L)]
        elif t == 'mistral' and window:
            sliding = [True] * self.L
        else:
            sliding = [False] * self.L
        self.window = [window if s and window else None for s in sliding]
        theta = cfg.get('rope_theta', 10000.0)
        local = cfg.get('rope_local_base_freq')
        self.rope_global = inv_freq(cfg, self.hd, theta, True)
        self.rope_local = inv_freq(cfg, self.hd, local, False) if local else self.rope_global
        self.sliding = sliding
        self.tied = cfg.get('tie_word_embeddings', self.gemma)

    def norm(self, x, w):
        y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps)
        return y * (1 + w) if self.gemma else y * w

    def lin(self, x, name):
        y = x @ self.w[f'{name}.weight'].T
        b = self.w.get(f'{name}.bias')
        return y + b if b is not None else y

    def attention(self, i, x, pos):
        n, p = x.shape[0], f'layers.{i}.self_attn'
        qd, kd = self.nh * self.hd, self.nkv * self.hd
        if f'{p}.qkv_proj.weight' in self.w:
            qkv = self.lin(x, f'{p}.qkv_proj')
            q, k, v = qkv[:, :qd], qkv[:, qd:qd + kd], qkv[:, qd + kd:]
        else:
            q, k, v = self.lin(x, f'{p}.q_proj'), self.lin(x, f'{p}.k_proj'), self.lin(x, f'{p}.v_proj')
        q = q.view(n, self.nh, self.hd).transpose(0, 1)
        k = k.view(n, self.nkv, self.hd).transpose(0, 1)
        v = v.view(n, self.nkv, self.hd).transpose(0, 1)
        if self.qk_norm:
            q, k = self.norm(q, self.w[f'{p}.q_norm.weight']), self.norm(k, self.w[f'{p}.k_norm.weight'])
        inv, ms = self.rope_local if self.sliding[i] else self.rope_global
        q, k = rope(q, pos, inv, ms), rope(k, pos, inv, ms)
        rep = self.nh // self.nkv
        k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
        s = (q @ k.transpose(1, 2)) * self.scale
        if self.attn_cap:
            s = torch.tanh(s / self.attn_cap) * self.attn_cap
        ii, jj = torch.arange(n)[:, None], torch.arange(n)[None, :]
        allowed = jj <= ii
        if self.window[i]:
            allowed = allowed & (jj > ii - self.window[i])
        s = s.masked_fill(~allowed, float('-inf'))
        a = torch.softmax(s, -1) @ v
        return self.lin(a.transpose(0, 1).reshape(n, qd), f'{p}.o_proj')

    def mlp(self, i, x):
        p = f'layers.{i}.mlp'
        if f'{p}.gate_up_proj.weight' in self.w:
            gate, up = self.lin(x, f'{p}.gate_up_proj').chunk(2, -1)
        else:
            gate, up = self.lin(x, f'{p}.gate_proj'), self.lin(x, f'{p}.up_proj')
        return self.lin(self.act(gate) * up, f'{p}.down_proj')

    def logits(self, ids):
        x = self.w['embed_tokens.weight'][torch.tensor(ids)]
        if self.gemma:
            x = x * torch.tensor(self.H ** 0.5, dtype=DT)
        pos = torch.arange(len(ids))
        for i in range(self.L):
            p = f'layers.{i}.'
            h = self.attention(i, self.norm(x, self.w[p + 'input_layernorm.weight']), pos)
            if self.gemma:
                x = x + self.norm(h, self.w[p + 'post_attention_layernorm.weight'])
                x = x + self.norm(self.mlp(i, self.norm(x, self.w[p + 'pre_feedforward_layernorm.weight'])), self.w[p + 'post_feedforward_layernorm.weight'])
            else:
                x = x + h
                x = x + self.mlp(i, self.norm(x, self.w[p + 'post_attention_layernorm.weight']))
        x = self.norm(x, self.w['norm.weight'])
        head = self.w['embed_tokens.weight'] if self.tied else self.w['lm_head.weight']
        out = x @ head.T
        if self.final_cap:
            out = torch.tanh(out / self.final_cap) * self.final_cap
        return out


def main():
    folder, ids = sys.argv[1], json.loads(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    m = Model(folder)
    with torch.no_grad():
        prompt = m.logits(ids)
        seq, greedy, step_logits = list(ids), [], []
        for _ in range(steps):
            last = m.logits(seq)[-1]
            step_logits.append(last.tolist())
            t = int(torch.argmax(last))
            greedy.append(t)
            seq.append(t)
    json.dump({'torch': torch.__version__, 'prompt_logits': prompt.tolist(), 'greedy': greedy, 'step_logits': step_logits}, sys.stdout)


if __name__ == '__main__':
    main()
