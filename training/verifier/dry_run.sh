#!/usr/bin/env bash
# The GPU plan (device_plan.py + device_run.sh) end to end on this CPU, with
# the smallest base: pack -> each run-tool call replayed in a fresh folder
# that holds only what would travel (the tree, the call's carried path), with
# $OUT set, no network (unshare -n) and the device's transformers 5.17 ->
# join the returned pieces here -> sha256 -> evaluate.py on the joined model.
#   bash training/verifier/dry_run.sh [BASE_DIR]     (from anywhere; ~10 min on 2 busy cores)
# Smaller pieces than the real plan's, so that it takes several calls each way.
# TF517: a folder with transformers==5.17.0 and huggingface_hub==1.33.0 (pip --target), optional.
set -euo pipefail
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel); cd "$REPO"
V=${V:-/work/train-venv/bin/python}
BASE=${1:-/work/verifier-scratch/bases/minilm-l6}
SIM=$(mktemp -d /tmp/verifier-devsim.XXXX)
NAMES=() STARTS=()
step() { NAMES+=("$*"); STARTS+=("$(date +%s.%N)"); echo "== $(date -u +%T) $*"; }
summary() {  # seconds per step, from one step's start to the next one's
  local i n=${#NAMES[@]}; STARTS+=("$(date +%s.%N)")
  for ((i = 0; i < n; i++)); do awk -v a="${STARTS[i]}" -v b="${STARTS[i+1]}" -v s="${NAMES[i]}" 'BEGIN{printf "%7.1f s  %s\n", b - a, s}'; done
}

step "base (base.py; cached after the first fetch)"
nice -n 19 "$V" training/verifier/base.py --name minilm-l6 --out "$BASE"
step "pack"
nice -n 19 "$V" training/verifier/device_plan.py pack --base "$BASE" --out .device/dry --call-mib 12
"$V" training/verifier/device_plan.py commands --pack .device/dry --returns 2 > "$SIM/calls.jsonl"
cat "$SIM/calls.jsonl"

step "the device's tree: tracked + untracked-not-ignored files"
mkdir -p "$SIM/repo" "$SIM/tmp" "$SIM/bin"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$SIM/repo"
printf '#!/bin/sh\nexec %s "$@"\n' "$V" > "$SIM/bin/python3"; chmod +x "$SIM/bin/python3"
k=0
while IFS= read -r call; do
  k=$((k + 1))
  carry=$("$V" -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])["carry"]))' "$call")
  cmd=$("$V" -c 'import json,sys; print(json.loads(sys.argv[1])["command"])' "$call")
  for c in $carry; do mkdir -p "$SIM/repo/$(dirname "$c")"; rm -rf "${SIM:?}/repo/$c"; cp -r "$c" "$SIM/repo/$c"; done
  mkdir -p "$SIM/out-$k"
  step "call $k: carry [$carry]"
  (cd "$SIM/repo" && nice -n 19 unshare -n env -i PATH="$SIM/bin:/usr/bin:/bin" HOME="$SIM" OUT="$SIM/out-$k" \
     DEVICE_TMP="$SIM/tmp" DRY=1 SPLIT_ARGS="--piece-mib 8 --per-call 2" PYTHONPATH="${TF517:-}" bash -c "$cmd")
  ls -l "$SIM/out-$k"
done < "$SIM/calls.jsonl"

step "join here"
outs=$(ls -d "$SIM"/out-* | sort -V)
"$V" training/verifier/device_plan.py join --from $outs --to "$SIM/back"
(cd "$SIM/back/model" && find . -type f | LC_ALL=C sort | xargs sha256sum)
step "evaluate.py here on the joined model"
nice -n 19 "$V" training/verifier/evaluate.py --model "$SIM/back/model" --run "$SIM/none" --limit 300 \
  --no-fp32 --agree 0 --latency 50 --threshold 0.5 --out "$SIM/here" > "$SIM/here.log"
head -12 "$SIM/here.log"
mkdir -p "$SIM/device-eval"; tar -xf "$(ls "$SIM"/out-*/results.tar)" -C "$SIM/device-eval"
"$V" -c 'import json, sys
d, h = (json.load(open(f"{p}/metrics.json")) for p in sys.argv[1:])
for s in ("tune", "eval"):
    print(s, "AUC device", round(d[s]["auc"], 6), "here", round(h[s]["auc"], 6))' "$SIM/device-eval" "$SIM/here"
echo "== $(date -u +%T) done: $SIM"; summary
