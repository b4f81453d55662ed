#!/usr/bin/env bash
# Sets up, builds and runs Minerva's main job: generate text with the demo model.
#   MODEL=path/to/model.gguf PROMPT="..." N=128 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-../shared/models/stories260K.gguf}
PROMPT=${PROMPT:-Once upon a time, there was a little girl named Lily.}
N=${N:-128}
scripts/setup.sh
scripts/build.sh build -DMINERVA_BUILD_TESTS=OFF
exec build/src/cli/minerva run -m "$MODEL" -p "$PROMPT" -n "$N" ${SEED:+--seed "$SEED"}
