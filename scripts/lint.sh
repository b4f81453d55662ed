#!/usr/bin/env bash
# Zero-violation lint: clang-format over every C++ source, clang-tidy (curated checks in
# .clang-tidy) over every translation unit in src/. Needs BUILD_DIR/compile_commands.json.
#   scripts/lint.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.h' | grep -E '^(src|tests)/')
echo "lint: clang-format on ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"
mapfile -t units < <(printf '%s\n' "${files[@]}" | grep -E '^src/.*\.cpp$')
echo "lint: clang-tidy on ${#units[@]} translation units"
jobs=$(nproc)
printf '%s\n' "${units[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy -p "$dir" --quiet --extra-arg=-Wno-unknown-warning-option 2> >(grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter|^Use -system-headers' >&2)
echo "lint: clean"
