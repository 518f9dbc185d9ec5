#!/usr/bin/env python3
# PyTorch CPU reference of the tiny engine's model, used only by `npm run bench` (never at run time):
# the same architecture and weights (read from the engine's safetensors), timed on the same train step
# and generation. Written the way a PyTorch user would: full sequence per row, KV cache by concatenation.
# Usage: python3 scripts/torch_ref.py SPEC.json  -> prints one JSON object on stdout.
#        python3 scripts/torch_ref.py --golden SPEC.json  -> float64 log-probs, loss and gradient norm of
#        the spec's train rows (the values in test/engine/golden.test.ts; spec from scripts/golden-spec.ts).

import json
import math
import statistics
import struct
import sys
import time

import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[base + a : base + b]), dtype=torch.float32).reshape(e["shape"]).clone()
    return out


class Tiny(torch.nn.Module):
    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.C = cfg["dModel"]
        self.H = cfg["nHeads"]
        self.Dh = self.C // self.H
        self.P = (cfg["imageSize"] // cfg["patchSize"]) ** 2
        self.params = torch.nn.ParameterDict({k.replace(".", "_"): torch.nn.Parameter(v) for k, v in weights.items()})
        S = cfg["maxContext"]
        self.register_buffer("mask", torch.full((S, S), -1e9).triu(1))

    def w(self, name):
        return self.params[name.replace(".", "_")]

    def ln(self, x, pre):
        return F.layer_norm(x, (self.C,), self.w(pre + ".g"), self.w(pre + ".b"), self.cfg["lnEps"])

    def block(self, pre, x, causal, cache=None):
        B, S, C = x.shape
        h = self.ln(x, pre + ".ln1")
        q, k, v = (h @ self.w(pre + ".qkv")).split(C, dim=-1)
        q = q.view(B, S, self.H, self.Dh).transpose(1, 2) / math.sqrt(self.Dh)
        k = k.view(B, S, self.H, self.Dh).transpose(1, 2)
        v = v.view(B, S, self.H, self.Dh).transpose(1, 2)
        if cache is not None:
            k = torch.cat([cache[0], k], 2)
            v = torch.cat([cache[1], v], 2)
        att = q @ k.transpose(-1, -2)
        if causal and S > 1:
            att = att + self.mask[:S, :S]
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, C)
        x = x + o @ self.w(pre + ".wo")
        x = x + F.gelu(self.ln(x, pre + ".ln2") @ self.w(pre + ".fc1"), approximate="tanh") @ self.w(pre + ".fc2")
        return x, (k, v)

    def vision(self, patches):
        x = patches @ self.w("vis.patch") + self.w("vis.pos")
        for i in range(self.cfg["visionLayers"]):
            x, _ = self.block(f"vis.h{i}", x, False)
        return self.ln(x, "vis.lnf") @ self.w("vis.proj")

    def forward(self, patches, tokens, want_cache=False):
        T = tokens.shape[1]
        x = torch.cat([self.vision(patches), self.w("tok_emb")[tokens]], 1)
        x = x + self.w("pos_emb")[: self.P + T]
        caches = []
        for i in range(self.cfg["nLayers"]):
            x, kv = self.block(f"h{i}", x, True)
            caches.append(kv)
        h = self.ln(x, "lnf")[:, self.P :]
        logits = h @ self.w("tok_emb").t()
        return (logits, caches) if want_cache else logits

    def decode(self, token, pos, caches):
        x = self.w("tok_emb")[token] + self.w("pos_emb")[pos]
        out = []
        for i in range(self.cfg["nLayers"]):
            x, kv = self.block(f"h{i}", x, True, caches[i])
            out.append(kv)
        return self.ln(x, "lnf") @ self.w("tok_emb").t(), out


def train_batch(spec, model):
    rows = spec["train"]["rows"]
    T = max(len(r["prompt"]) + len(r["seq"]) - 1 for r in rows)
    B = len(rows)
    tokens = torch.full((B, T), 256, dtype=torch.long)
    targets = torch.full((B, T), 256, dtype=torch.long)
    weights = torch.zeros(B, T)
    for b, r in enumerate(rows):
        full = r["prompt"] + r["seq"]
        tokens[b, : len(full) - 1] = torch.tensor(full[:-1])
        targets[b, : len(full) - 1] = torch.tensor(full[1:])
        start = len(r["prompt"]) - 1
        weights[b, start : start + len(r["seq"])] = torch.tensor(r["weights"])
    patches = torch.tensor(spec["patches"]).view(-1, model.P, 3 * model.cfg["patchSize"] ** 2)
    rp = torch.tensor([r["patch"] for r in rows])
    return patches[rp], tokens, targets, weights


def time_train(spec, model):
    patches, tokens, targets, weights = train_batch(spec, model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)
    times, first_loss = [], None
    for i in range(spec["warmup"] + spec["repeats"]):
        t0 = time.perf_counter()
        logp = model(patches, tokens).log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        loss = -(logp * weights).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i == 0:
            first_loss = loss.item()
        if i >= spec["warmup"]:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), first_loss


@torch.inference_mode()
def time_generate(spec, model):
    gen = spec["generate"]
    n, max_tokens = gen["n"], gen["maxTokens"]
    prompts = torch.tensor(gen["prompts"])  # (G, Tp), equal lengths
    patches = torch.tensor(spec["patches"]).view(-1, model.P, 3 * model.cfg["patchSize"] ** 2)[torch.tensor(gen["patch"])]
    torch.manual_seed(0)
    rates = []
    for i in range(spec["warmup"] + spec["repeats"]):
        t0 = time.perf_counter()
        logits, caches = model(patches, prompts, want_cache=True)
        caches = [(k.repeat_interleave(n, 0), v.repeat_interleave(n, 0)) for k, v in caches]
        last = logits[:, -1].repeat_interleave(n, 0)
        pos = model.P + prompts.shape[1]
        produced = 0
        for t in range(max_tokens):
            tok = torch.multinomial((last / gen["temperature"]).softmax(-1), 1)  # (R, 1)
            produced += tok.shape[0]
            if t + 1 == max_tokens:
                break
            logits, caches = model.decode(tok, torch.full_like(tok, pos + t), caches)
            last = logits[:, -1]
        if i >= spec["warmup"]:
            rates.append(produced / (time.perf_counter() - t0))
    return statistics.median(rates)


def golden(spec):
    torch.set_default_dtype(torch.float64)
    cfg = json.load(open(spec["checkpoint"] + "/config.json"))["config"]
    weights = {k: v.double() for k, v in load_safetensors(spec["checkpoint"] + "/model.safetensors").items()}
    model = Tiny(cfg, weights)  # float64 throughout: default dtype set above, weights converted
    patches, tokens, targets, w = train_batch(spec, model)
    logp = model(patches, tokens).log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    loss = -(logp * w).sum()
    loss.backward()
    grad_norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters() if p.grad is not None))
    rows = spec["train"]["rows"]
    seq_lp = []
    for b, r in enumerate(rows):
        start = len(r["prompt"]) - 1
        seq_lp.append([float(x) for x in logp[b, start : start + len(r["seq"])]])
    print(json.dumps({"loss": float(loss), "gradNorm": grad_norm, "seqLogprobSums": [sum(x) for x in seq_lp],
                      "firstLogprobs": [x[0] for x in seq_lp], "torch": torch.__version__}))


def main():
    if sys.argv[1] == "--golden":
        golden(json.load(open(sys.argv[2])))
        return
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec["threads"])
    cfg = json.load(open(spec["checkpoint"] + "/config.json"))["config"]
    model = Tiny(cfg, load_safetensors(spec["checkpoint"] + "/model.safetensors"))
    tokens_per_s = time_generate(spec, model)
    train_ms, first_loss = time_train(spec, model)
    print(json.dumps({"trainStepMs": train_ms, "firstLoss": first_loss, "generateTokensPerS": tokens_per_s,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
