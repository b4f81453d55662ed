#!/usr/bin/env bash
# Constrained vs unconstrained generation speed through a real `minerva serve`:
#   bench/structured_output.sh MODEL.gguf [REPS] [THREADS]
# Alternates plain and json_schema requests (a nested-object schema, temperature 1, fixed seeds)
# and prints each one's generation t/s (the server's timings.predicted_per_second) and the time
# spent computing and applying grammar masks per token (timings.grammar_ms / predicted_n).
set -euo pipefail
model=${1:?usage: $0 MODEL.gguf [REPS] [THREADS]}
reps=${2:-3}
threads=${3:-2}
bin=${MINERVA:-$(dirname "$0")/../build/src/cli/minerva}
log=$(mktemp)
"$bin" serve -m "$model" --port 0 --parallel 1 -t "$threads" -c 1024 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
port=
for _ in $(seq 600); do
  port=$(grep -o '127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
  if [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null; then break; fi
  sleep 0.1
done
schema='{"type":"object","properties":{
  "user":{"type":"object","properties":{"name":{"type":"string","maxLength":40},"email":{"type":"string","format":"email"},
          "address":{"type":"object","properties":{"street":{"type":"string","maxLength":40},"city":{"type":"string","maxLength":30},
                     "zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street","city","zip"]}},"required":["name","email","address"]},
  "orders":{"type":"array","maxItems":3,"items":{"type":"object","properties":{"id":{"type":"string","format":"uuid"},
            "total":{"type":"number","minimum":0,"maximum":100000},"items":{"type":"array","maxItems":4,"items":{"type":"string","maxLength":20}}},
            "required":["id","total","items"]}}},"required":["user","orders"]}'
run() {  # $1: seed, $2: extra JSON fields
  curl -s "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' \
    -d "{\"prompt\":\"Customer record:\",\"max_tokens\":64,\"temperature\":1.0,\"seed\":$1$2}" |
    python3 -c 'import json,sys; t=json.load(sys.stdin)["timings"]; n=max(t["predicted_n"],1); print("%6.2f t/s  %3d tokens  mask %.3f ms/token" % (t["predicted_per_second"], t["predicted_n"], t["grammar_ms"]/n))'
}
for i in $(seq "$reps"); do
  echo -n "plain       seed $i: "; run "$i" ""
  echo -n "json_schema seed $i: "; run "$i" ",\"response_format\":{\"type\":\"json_schema\",\"schema\":$schema}"
done
