#!/usr/bin/env bash
# Sets up, builds and runs Minerva's main job with the demo model: generates a story (streamed
# token by token), then serves the model over the OpenAI-compatible API until Ctrl-C.
#   MODEL=path/to/model.gguf PROMPT="..." N=128 SEED=42 PORT=8080 SERVE=0 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-../shared/models/stories260K.gguf}
PROMPT=${PROMPT:-Once upon a time, there was a little girl named Lily.}
N=${N:-128}
PORT=${PORT:-8080}
scripts/setup.sh
scripts/build.sh build -DMINERVA_BUILD_TESTS=OFF
build/src/cli/minerva run -m "$MODEL" -p "$PROMPT" -n "$N" ${SEED:+--seed "$SEED"}
[ "${SERVE:-1}" = 0 ] && exit 0
cat <<MSG

Serving $MODEL on http://127.0.0.1:$PORT (Ctrl-C to stop). Try, from another terminal:
  curl -s http://127.0.0.1:$PORT/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"messages": [{"role": "user", "content": "Tell me a story"}], "max_tokens": 64}'
MSG
exec build/src/cli/minerva serve -m "$MODEL" --port "$PORT"
