#!/bin/bash
# Hit latency with audits (issue 28): one `reflex start` (mock provider, fresh REFLEX_HOME) at
# REFLEX_AUDIT_RATE=RATE, then bench/hitPath.js --n 300 and the audit counters. Run from the
# repository after `npm run build && npm run build:bench`:  bash bench/scripts/audit-latency.sh 0.05 B1
cd "$(dirname "$0")/../.."
H=$(mktemp -d /tmp/reflex-lat-XXXX)
REFLEX_HOME=$H REFLEX_VENV=$PWD/.reflex/venv REFLEX_MODEL_PATH=$PWD/.reflex/models REFLEX_MOCK_PROVIDER=1 REFLEX_AUTH=none REFLEX_PORT=18481 REFLEX_TEMPORAL_ADDRESS=127.0.0.1:17434 REFLEX_TEMPORAL_UI_PORT=18234 REFLEX_MILVUS_ADDRESS=127.0.0.1:19581 REFLEX_AUDIT_RATE=$1 REFLEX_LOG_LEVEL=warn node dist/cli/index.js start > $H/gw.log 2>&1 &
PID=$!
for i in $(seq 1 120); do curl -s http://127.0.0.1:18481/ready | grep -q '"ready"' && break; sleep 1; done
echo "rate=$1 ($2)"
node dist-bench/bench/hitPath.js --url http://127.0.0.1:18481 --temporal 127.0.0.1:17434 --n 300
curl -s http://127.0.0.1:18481/metrics | grep -E "^reflex_audit_starts_total|^reflex_audited_hits|^reflex_upstream_calls_total|^reflex_audit_upstream" 
kill $PID; wait $PID 2>/dev/null
rm -rf $H
