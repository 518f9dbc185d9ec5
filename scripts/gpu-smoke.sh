#!/usr/bin/env bash
# GPU smoke of the trl engine (docs/reproduce-the-paper.md, "GPU smoke"): on a machine with a GPU and the
# Python stack (torch, transformers, trl, datasets, accelerate), builds a tiny Qwen2-VL offline, then runs
# `clsrl sweep --engine trl` for SFT and CLS-RL end to end (run folders, launch, reward server, trainer
# state ingestion, evaluation, report), runs the sweep again to check nothing is retrained, and prints a
# pass/fail table. Nothing is downloaded.
#
#   scripts/gpu-smoke.sh [--work DIR] [--steps N] [--teach-steps N] [--gpus N] [--allow-unpinned LIST]
#
# --work          scratch folder (default: a new one under /tmp); everything the smoke writes goes there
# --steps         optimizer steps per trained run (default 3)
# --teach-steps   steps teaching the random model the answer format (default 300)
# --gpus          passed as --engine-opt gpus=N (default: detected by clsrl)
# --eval          test images evaluated per run (default 24); --keep-model reuses a model built in --work
# --allow-unpinned  CLSRL_ALLOW_UNPINNED for train.py, e.g. torch,transformers (default: the pins hold)
# CLSRL_PYTHON picks the python (default python3). Exit 0 only when every check passed.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${CLSRL_PYTHON:-python3}"
WORK=""
STEPS=3
TEACH=300
GPUS=""
EVAL=24
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --teach-steps) TEACH="$2"; shift 2 ;;
    --gpus) GPUS="$2"; shift 2 ;;
    --eval) EVAL="$2"; shift 2 ;;
    --keep-model) KEEP=1; shift ;;
    --allow-unpinned) export CLSRL_ALLOW_UNPINNED="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "gpu-smoke: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
rm -rf "${WORK:-/nonexistent}/results" "${WORK:-/nonexistent}/prep" "${WORK:-/nonexistent}/port"
[ -n "$WORK" ] || WORK="$(mktemp -d /tmp/clsrl-gpu-smoke.XXXXXX)"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
export CLSRL_PYTHON="$PY" CLSRL_SMOKE_STEPS="$STEPS" CLSRL_SMOKE_EVAL="$EVAL" PYTHONUNBUFFERED=1
CLSRL=(node "$ROOT/bin/clsrl.js")
SUITE="$ROOT/scripts/gpu-smoke-suite.ts"
MODEL="$WORK/tiny-qwen2vl"
DB="$WORK/results/clsrl.sqlite"
OPTS=(--engine trl --model "$MODEL")
[ -n "$GPUS" ] && OPTS+=(--engine-opt "gpus=$GPUS")

declare -a NAMES=() STATES=() DETAILS=()
check() { NAMES+=("$1"); STATES+=("$2"); DETAILS+=("$3"); echo "gpu-smoke: [$2] $1: $3"; }
table() {
  echo
  printf '%-34s %-5s %s\n' check state detail
  printf '%-34s %-5s %s\n' ---------------------------------- ----- ------------------------------------------
  local i failed=0
  for i in "${!NAMES[@]}"; do
    printf '%-34s %-5s %s\n' "${NAMES[$i]}" "${STATES[$i]}" "${DETAILS[$i]}"
    [ "${STATES[$i]}" = pass ] || failed=$((failed + 1))
  done
  echo
  echo "gpu-smoke: $(( ${#NAMES[@]} - failed )) passed, $failed failed (work folder $WORK)"
  [ "$failed" -eq 0 ]
}
finish() { [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null; table; exit $?; }

# 1. the machine and the Python stack
GPU_LINE="$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1)"
if [ -n "$GPU_LINE" ]; then check gpu pass "$GPU_LINE"; else check gpu fail "nvidia-smi lists no GPU (the smoke then trains on the CPU)"; fi
STACK="$("$PY" -c 'import importlib.metadata as m, sys
names = ["torch", "transformers", "trl", "datasets", "accelerate", "tokenizers", "huggingface_hub"]
print(sys.version.split()[0], " ".join("%s=%s" % (n, m.version(n)) for n in names))
import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2>&1)"
if [ $? -ne 0 ]; then check python-stack fail "$(echo "$STACK" | tail -1)"; finish; fi
check python-stack pass "python $(echo "$STACK" | head -1) device $(echo "$STACK" | tail -1)"

# 2. run folders written without training (their train.jsonl rows teach the tiny model)
PREP="$WORK/prep"
"${CLSRL[@]}" sweep --suite "$SUITE" "${OPTS[@]}" --engine-opt writeOnly=true --db "$PREP/clsrl.sqlite" > "$WORK/prep.log" 2>&1
N_FOLDERS=$(ls "$PREP"/runs/*/trl/train.jsonl 2>/dev/null | wc -l)
if [ "$N_FOLDERS" -eq 2 ]; then check run-folders pass "2 folders written ($(grep -h '"distributed"' "$PREP"/runs/*/trl/config.json | head -1 | tr -d ' ,'))"; else check run-folders fail "$N_FOLDERS of 2 folders; see $WORK/prep.log"; finish; fi
PINS="$(cd "$ROOT/python" && "$PY" -m clsrl_trl.pins --config "$(ls "$PREP"/runs/*/trl/config.json | head -1)" 2>&1)"
PINS_OK=$?
echo "$PINS"
if [ $PINS_OK -eq 0 ]; then check pins pass "${CLSRL_ALLOW_UNPINNED:+allowed unpinned: $CLSRL_ALLOW_UNPINNED}"; else check pins fail "see the table above; --allow-unpinned LIST to run anyway"; finish; fi

# 3. the tiny model, taught the answer format
[ "$KEEP" = 1 ] && [ -f "$WORK/build.json" ] && [ -f "$MODEL/model.safetensors" ] || \
  (cd "$ROOT" && "$PY" scripts/gpu_smoke.py build --runs "$PREP/runs" --out "$MODEL" --steps "$TEACH" 2>"$WORK/build.log" | tail -1 > "$WORK/build.json")
BUILD="$(cat "$WORK/build.json" 2>/dev/null)"
if [ -f "$MODEL/model.safetensors" ]; then
  check tiny-model pass "$(echo "$BUILD" | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print("%d params, loss %.2f -> %.2f in %d steps, %d/%d probes formatted, %ss" % (s["parameters"], s["lossFirst"], s["lossLast"], s["steps"], s["probeFormatted"], s["probe"], s["seconds"]))')"
else
  check tiny-model fail "$(tail -3 "$WORK/build.log")"; finish
fi

# 4. an evaluation server for the checkpoints (vLLM stands in where installed; this one needs nothing more)
"$PY" "$ROOT/scripts/gpu_smoke.py" serve --port 0 --port-file "$WORK/port" > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do [ -s "$WORK/port" ] && break; sleep 0.5; done
[ -s "$WORK/port" ] || { check eval-server fail "$(tail -3 "$WORK/serve.log")"; finish; }
OPTS+=(--engine-opt "baseUrl=http://127.0.0.1:$(cat "$WORK/port")/v1")

# 5. the sweep: TRL training (reward server for GRPO), ingestion, evaluation; then again (nothing retrains)
T0=$(date +%s)
"${CLSRL[@]}" sweep --suite "$SUITE" "${OPTS[@]}" --db "$DB" > "$WORK/sweep.log" 2>&1
SWEEP=$?
check sweep "$([ $SWEEP -eq 0 ] && echo pass || echo fail)" "exit $SWEEP in $(( $(date +%s) - T0 ))s; log $WORK/sweep.log"
for f in "$WORK"/results/runs/*/trl/train.log; do echo "--- $f (tail)"; tail -5 "$f"; done
"${CLSRL[@]}" results --db "$DB" --suite gpu-smoke --json > "$WORK/results.json" 2>"$WORK/results.err"
"$PY" - "$WORK" "$STEPS" > "$WORK/checks.txt" 2>&1 <<'PY'
import glob, json, os, sys
work, steps = sys.argv[1], int(sys.argv[2])
for folder in sorted(glob.glob(os.path.join(work, "results", "runs", "*", "trl"))):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    state_file = os.path.join(folder, "output", "trainer_state.json")
    done = os.path.exists(os.path.join(folder, "output", "clsrl-done.json"))
    hist = json.load(open(state_file))["log_history"] if os.path.exists(state_file) else []
    rows = [h for h in hist if "loss" in h and "train_runtime" not in h]
    rewards = {k: round(sum(h[k] for h in rows) / len(rows), 3) for k in sorted({k for h in rows for k in h if k.startswith("rewards/") and k.endswith("/mean")})} if rows else {}
    ok = done and len(rows) == steps and os.path.isdir(os.path.join(folder, "output", "final"))
    if cfg["trainer"] == "grpo":
        ok = ok and any(v > 0 for v in rewards.values())
    print("CHECK train-%s|%s|%d/%d steps logged, done=%s, distributed=%s, attention=%s, rewards %s" % (
        cfg["clsrl"]["method"], "pass" if ok else "fail", len(rows), steps, done, cfg.get("distributed"),
        json.load(open(os.path.join(folder, "output", "clsrl-done.json"))).get("attnImplementation") if done else "-", json.dumps(rewards)))
PY
while IFS='|' read -r name state detail; do check "${name#CHECK }" "$state" "$detail"; done < <(grep '^CHECK ' "$WORK/checks.txt")
STORED="$("$PY" - "$WORK/results.json" <<'PY'
import json, sys
try:
    rows = json.load(open(sys.argv[1]))
except Exception as err:
    print("fail|cannot read clsrl results --json: %s" % err); sys.exit()
by = {r["method"]: r for r in rows if isinstance(r, dict) and "method" in r}
ok = set(by) == {"sft", "cls-rl"} and all(r["n"] > 0 for r in by.values())
print(("pass" if ok else "fail") + "|" + ", ".join("%s %d/%d correct" % (m, by[m]["correct"], by[m]["n"]) for m in sorted(by)))
PY
)"
check results-stored "${STORED%%|*}" "${STORED#*|}"
"${CLSRL[@]}" sweep --suite "$SUITE" "${OPTS[@]}" --db "$DB" > "$WORK/sweep2.log" 2>&1
AGAIN="$(grep -Eo '[0-9]+ already done' "$WORK/sweep2.log" | head -1)"
if [ "$AGAIN" = "2 already done" ] && ! grep -q 'TRL training' "$WORK/sweep2.log"; then check no-retrain pass "second sweep: $AGAIN"; else check no-retrain fail "second sweep: ${AGAIN:-?}; see $WORK/sweep2.log"; fi
"${CLSRL[@]}" report --db "$DB" --suite gpu-smoke --out "$WORK/report" > "$WORK/report.log" 2>&1
N_REPORT=$(find "$WORK/report" -type f 2>/dev/null | wc -l)
check report "$([ "$N_REPORT" -gt 0 ] && echo pass || echo fail)" "$N_REPORT files in $WORK/report"
finish
