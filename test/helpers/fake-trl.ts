// Stand-ins for the GPU-side programs the trl engine starts, written into a folder put first on PATH:
// `accelerate` (scores completions through the run folder's own Python reward client against the live
// reward server, logs two steps, writes trainer_state.json, a checkpoint and clsrl-done.json) and `vllm`
// (clsrl's own OpenAI-compatible server over the `double` engine, serving any model name).

import fs from 'fs';
import path from 'path';
import { BIN } from './cli';

/**
 * Writes `accelerate` and `vllm` into `bin`. Every `accelerate` call appends its working directory to
 * $FAKE_TRL_LAUNCH_LOG when set (to count launches); FAKE_TRL_MODE=fail makes it exit 3.
 */
export function writeFakeTrlPrograms(bin: string, imageDir: string): void {
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
  fs.writeFileSync(path.join(bin, 'vllm'), `#!/usr/bin/env bash
[ "$FAKE_VLLM" = crash ] && { echo "no GPU (fake)"; exit 1; }
shift 2
while [ $# -gt 0 ]; do case "$1" in --port) port="$2"; shift 2;; --served-model-name) name="$2"; shift 2;; *) shift;; esac; done
exec "${process.execPath}" "${BIN}" serve --engine double --port "$port" --served-model-name "$name" --image-dir "${imageDir}"
`, { mode: 0o755 });
}
