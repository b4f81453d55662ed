#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite, as CI does:
#   1. one build with AddressSanitizer + UndefinedBehaviorSanitizer, optimised (-O2) and
#      -Wall -Wextra -Werror; every test runs against it (unit tests and the real binary);
#   2. lint (clang-format + clang-tidy), zero violations.
# One instrumented build instead of a plain one plus a sanitizer one halves CI's compile time;
# the demo (scripts/demo.sh) builds the plain Release binary users run.
# SKIP_LINT=1 skips lint; SANITIZE=0 builds without sanitizers (faster local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/setup.sh

if [ "${SANITIZE:-1}" != 0 ]; then
  dir=build-asan
  echo "== build (-Werror, AddressSanitizer + UndefinedBehaviorSanitizer) + tests"
  scripts/build.sh "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DMINERVA_WERROR=ON -DMINERVA_SANITIZE=address,undefined
else
  dir=build
  echo "== build (-Werror) + tests"
  scripts/build.sh "$dir" -DMINERVA_WERROR=ON
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"

if [ "${SKIP_LINT:-0}" != 1 ]; then
  echo "== lint"
  scripts/lint.sh "$dir"
fi
echo "== all checks passed"
