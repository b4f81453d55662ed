#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite, as CI does:
#   1. Release build with -Wall -Wextra -Werror, all tests;
#   2. lint (clang-format + clang-tidy), zero violations;
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build, all tests.
# Set SKIP_SANITIZERS=1 or SKIP_LINT=1 to shorten a local run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/setup.sh

echo "== release build + tests"
scripts/build.sh build -DMINERVA_WERROR=ON
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${SKIP_LINT:-0}" != 1 ]; then
  echo "== lint"
  scripts/lint.sh build
fi

if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== address + undefined-behaviour sanitizer build + tests"
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINERVA_WERROR=ON -DMINERVA_SANITIZE=address,undefined
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
echo "== all checks passed"
