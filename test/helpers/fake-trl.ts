// Stand-ins for the GPU-side programs the trl engine starts, written into a folder put first on PATH:
// `accelerate` (scores completions through the run folder's own Python reward client against the live
// reward server, logs two steps, writes trainer_state.json, a checkpoint and clsrl-done.json) and `vllm`
// (clsrl's own OpenAI-compatible server over the `double` engine, serving any model name; or `stub`: a
// python3 server that answers every request at once with the first candidate of its prompt and takes
// vLLM's sampling fields, repetition_penalty included, for walks that evaluate many sets).

import fs from 'fs';
import path from 'path';
import { BIN } from './cli';

/**
 * Writes `accelerate` and `vllm` into `bin`. Every `accelerate` call appends its working directory to
 * $FAKE_TRL_LAUNCH_LOG when set (to count launches); FAKE_TRL_MODE=fail makes it exit 3.
 */
export function writeFakeTrlPrograms(bin: string, imageDir: string, servedEngine: 'double' | 'stub' = 'double'): void {
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'accelerate'), `#!/usr/bin/env bash
set -e
echo "$*" > launched-with.txt
[ -n "\${FAKE_TRL_LAUNCH_LOG:-}" ] && echo "$PWD" >> "$FAKE_TRL_LAUNCH_LOG"
if [ "\${FAKE_TRL_MODE:-ok}" = fail ]; then echo "CUDA out of memory (fake)" >&2; exit 3; fi
python3 - <<'PY'
import json, os
cfg = json.load(open("config.json"))
rows = [json.loads(l) for l in open(cfg["data"]["train"])]
history = []
funcs = []
if cfg["trainer"] == "grpo":
    from clsrl_trl.rewards import make_reward_funcs
    funcs = make_reward_funcs(os.environ["CLSRL_REWARD_URL"], cfg["rewards"]["method"], cfg["rewards"]["names"], os.environ.get("CLSRL_REWARD_TOKEN"))
labels = [r.get("solution", "") for r in rows]
completions = [[{"role": "assistant", "content": "<think>t</think><answer>%s</answer>" % (l if i % 2 == 0 else "x")}] for i, l in enumerate(labels)]
for step in (1, 2):
    entry = {"loss": 0.1 * step, "step": step, "epoch": step / 2, "learning_rate": 1e-6, "grad_norm": 0.5, "kl": 0.01 * step,
             "reward_std": 0.2, "completions/mean_length": 10.0 * step, "clsrl_elapsed_s": 1.5 * step}
    for f in funcs:
        values = f(completions=completions, solution=labels)
        entry["rewards/%s/mean" % f.__name__] = sum(values) / len(values)
    history.append(entry)
    print("CLSRL_LOG " + json.dumps(entry), flush=True)
history.append({"train_runtime": 3.0, "step": 2, "train_loss": 0.15})
os.makedirs("output/final", exist_ok=True)
json.dump({"log_history": history}, open("output/trainer_state.json", "w"))
open("output/final/config.json", "w").write("{}")
json.dump({"final": os.path.abspath("output/final")}, open("output/clsrl-done.json", "w"))
PY
`, { mode: 0o755 });
  if (servedEngine === 'stub') {
    fs.writeFileSync(path.join(bin, 'vllm'), STUB_VLLM, { mode: 0o755 });
    return;
  }
  fs.writeFileSync(path.join(bin, 'vllm'), `#!/usr/bin/env bash
[ "$FAKE_VLLM" = crash ] && { echo "no GPU (fake)"; exit 1; }
name="$2"   # vLLM serves a model under its path or id unless --served-model-name says otherwise
shift 2
while [ $# -gt 0 ]; do case "$1" in --port) port="$2"; shift 2;; --served-model-name) name="$2"; shift 2;; *) shift;; esac; done
exec "${process.execPath}" "${BIN}" serve --engine ${servedEngine} --port "$port" --served-model-name "$name" --image-dir "${imageDir}"
`, { mode: 0o755 });
}

/** A fake `nvidia-smi` listing `count` H200s, for `-L` (GPU detection) and `--query-gpu` (clsrl doctor). */
export function writeFakeNvidiaSmi(bin: string, count: number): void {
  fs.mkdirSync(bin, { recursive: true });
  const list = Array.from({ length: count }, (_, i) => `GPU ${i}: NVIDIA H200 (UUID: GPU-fake-${i})`).join('\\n');
  const query = Array.from({ length: count }, () => 'NVIDIA H200, 143771').join('\\n');
  fs.writeFileSync(path.join(bin, 'nvidia-smi'), `#!/usr/bin/env bash
case "$1" in -L) printf "${list}\\n";; --query-gpu=*) printf "${query}\\n";; *) echo "fake nvidia-smi"; exit 0;; esac
`, { mode: 0o755 });
}

/** A folder of dist-info entries: importlib.metadata (and so clsrl_trl.pins) sees these packages at these versions. */
export function writeFakeSite(dir: string, versions: Record<string, string>): string {
  for (const [pkg, v] of Object.entries(versions)) {
    const info = path.join(dir, `${pkg.replace(/-/g, '_')}-${v}.dist-info`);
    fs.mkdirSync(info, { recursive: true });
    fs.writeFileSync(path.join(info, 'METADATA'), `Metadata-Version: 2.1\nName: ${pkg}\nVersion: ${v}\n`);
  }
  return dir;
}

/** `vllm serve MODEL --port P [--served-model-name N]` as a python3 stub: /v1/models and instant answers. */
const STUB_VLLM = `#!/usr/bin/env python3
import json, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
args = sys.argv[1:]
name, port = args[1], None
for i, a in enumerate(args):
    if a == "--port": port = int(args[i + 1])
    if a == "--served-model-name": name = args[i + 1]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code); self.send_header("content-type", "application/json"); self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        self.send(200, {"object": "list", "data": [{"id": name, "object": "model"}]})
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if req.get("model") != name: return self.send(404, {"error": {"message": "model %s not served" % req.get("model")}})
        text = " ".join(p.get("text", "") for p in req["messages"][-1]["content"] if p.get("type") == "text")
        m = re.search(r"Please choose one from list \\[ (.*?)\\]", text)
        answer = m.group(1).split(", ")[0] if m else "unknown"
        self.send(200, {"object": "chat.completion", "model": name, "choices": [{"index": 0, "message": {"role": "assistant", "content": "<think>stub</think><answer>%s</answer>" % answer}, "finish_reason": "stop"}]})
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
`;
