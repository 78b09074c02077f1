#!/usr/bin/env bash
# The GPU run of issue 21, on the device machine (README.md "GPU run (issue 21)").
#   device_run.sh train      last upload call, after device_plan.py stash: unpack
#       the base and data, train one run per learning rate in parallel, keep
#       the run with the best tune-slice precision at recall >= 0.5, export
#       int8 ONNX, cut model + run logs into return pieces (the first under $OUT).
#   device_run.sh evaluate   second return call: evaluate.py there (int8 ONNX on
#       the CPU, fp32 with torch on the GPU) -> $OUT/results.tar. Apart from
#       train so that each stays well inside the tool's 10 minutes a command.
# DRY=1: the CPU dry run (5 steps, small slices). Knobs: LRS, BATCH, EPOCHS (most),
# TRAIN_S (training seconds to fit), TRAIN_ARGS (more train.py flags).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-python3}
T=${DEVICE_TMP:-/tmp}
IN=$T/verifier-in RUNS=$T/verifier-runs BACK_SRC=$T/verifier-return
DATA_GLOB="$IN/data/*.jsonl.gz"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
stamp() { echo "== $(date -u +%T) $*"; }

train() {
  rm -rf "$IN" "$RUNS" "$BACK_SRC"; mkdir -p "$RUNS" "$BACK_SRC/runs"
  stamp env
  $PY -c "import sys, torch, transformers, onnx, onnxruntime as o; print('python', sys.version.split()[0],
'torch', torch.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name(),
'transformers', transformers.__version__, 'onnx', onnx.__version__, 'onnxruntime', o.__version__)"
  stamp unpack
  # the pieces also stay in the repo's ignored .device/ between calls: a second place to look
  $PY device_plan.py unpack --to "$IN" --also ../../.device/*/c*
  local data; data=$(ls $DATA_GLOB)
  local batch=${BATCH:-32} common lrs
  if [ "${DRY:-0}" = 1 ]; then
    common="--device cpu --max-steps 5 --tune-pairs 200 --threads 2"; lrs=${LRS:-4e-5}
  else
    # Fit TRAIN_S: time 40 steps alone; assume each parallel run goes at half that rate.
    stamp bench
    $PY train.py --base "$IN/base" --data "$data" --device cuda --bf16 --batch-size "$batch" --bench 40 \
      --out "$RUNS/bench" > "$RUNS/bench.log" 2>&1 || { tail -30 "$RUNS/bench.log"; exit 1; }
    grep '^done' "$RUNS/bench.log"
    local epochs; epochs=$($PY -c "import re, sys
r = float(re.findall(r'([0-9.]+) steps/s after', open(sys.argv[1]).read())[-1]) / 2
print(max(1, min(${EPOCHS:-3}, int(${TRAIN_S:-240} * r // -(-57838 // $batch)))))" "$RUNS/bench.log")
    # no mid-run checkpoints: each is 1.3 GB for mpnet-base, and a lease this short cannot resume anyway
    common="--device cuda --bf16 --epochs $epochs --batch-size $batch --threads 4 --ckpt-every 1000000"
    lrs=${LRS:-2e-5 3e-5 5e-5}
  fi
  common="$common ${TRAIN_ARGS:-}"  # e.g. TRAIN_ARGS="--layers 6"
  stamp "train: lr in $lrs, $common"
  local pids=() lr
  for lr in $lrs; do
    $PY train.py --base "$IN/base" --data "$data" --out "$RUNS/lr$lr" --lr "$lr" --tune-eval $common \
      > "$RUNS/lr$lr.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { tail -n 30 "$RUNS"/lr*.log; exit 1; }; done
  for lr in $lrs; do
    echo "lr $lr: $(grep '^done' "$RUNS/lr$lr.log")"; grep '^tune' "$RUNS/lr$lr.log"
    mkdir -p "$BACK_SRC/runs/lr$lr"
    cp "$RUNS/lr$lr.log" "$RUNS/lr$lr"/{tune_metrics,train_meta,lr_trace}.json "$BACK_SRC/runs/lr$lr/"
  done
  local best; best=$($PY -c "import json, pathlib, sys
def key(p):
    m = json.loads(p.read_text()); b = m['best_precision_at_recall_0.5']
    return (b['precision'] if b else -1, m['auc'])
print(max(pathlib.Path(sys.argv[1]).glob('lr*/tune_metrics.json'), key=key).parent)" "$RUNS")
  echo "$best" > "$BACK_SRC/runs/chosen.txt"
  stamp "chosen on tune: $best"
  stamp export
  $PY export.py --run "$best" --out "$BACK_SRC/model" --base "$IN/base" > "$BACK_SRC/runs/export.log" 2>&1 \
    || { cat "$BACK_SRC/runs/export.log"; exit 1; }
  grep -E '^(fp32|int8) ' "$BACK_SRC/runs/export.log"
  stamp split
  $PY device_plan.py split --src "$BACK_SRC" --out "${OUT:?}" ${SPLIT_ARGS:-}
  stamp done
}

evaluate() {
  local best extra; best=$(cat "$BACK_SRC/runs/chosen.txt")
  # DRY: 5 steps reach no threshold by the tune rule, so a fixed one
  [ "${DRY:-0}" = 1 ] && extra="--limit 300 --agree 50 --latency 50 --threshold 0.5" || extra="--threads 16"
  stamp evaluate
  mkdir -p "$T/verifier-eval"
  $PY evaluate.py --model "$BACK_SRC/model" --run "$best" --data "$(ls $DATA_GLOB)" --out "$T/verifier-eval" \
    --fp32-torch $extra > "$T/verifier-eval/evaluate.log" 2>&1 || echo "evaluate failed (evaluate.log)"
  head -12 "$T/verifier-eval/evaluate.log"
  tar -cf "${OUT:?}/results.tar" -C "$T/verifier-eval" .
  stamp done
}

"${1:?train or evaluate}"
