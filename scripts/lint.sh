#!/usr/bin/env bash
# Zero-violation lint: clang-format over every C++ source, clang-tidy (curated checks in
# .clang-tidy) over the translation units in src/. Needs BUILD_DIR/compile_commands.json and
# a finished build (its dependency log says which headers each unit includes).
#   scripts/lint.sh [BUILD_DIR]     (default: build)
#
# clang-tidy over every unit costs ~15 CPU-minutes, so by default it runs only where the result
# can have changed: .ci/tidy-clean-at names a commit at which the full run was clean, and the
# units checked are those whose source or any included project header changed since then
# (committed or not). A change to .clang-tidy or this script, or a missing/unknown stamp, means
# a full run. LINT_TIDY=full forces one; a clean full run on a clean tree refreshes the stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
stamp=.ci/tidy-clean-at
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.h' | grep -E '^(src|tests)/')
echo "lint: clang-format on ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"
mapfile -t all_units < <(printf '%s\n' "${files[@]}" | grep -E '^src/.*\.cpp$')

mode=${LINT_TIDY:-incremental}
base=""
if [ "$mode" != full ] && [ -f "$stamp" ]; then
  base=$(tr -d '[:space:]' < "$stamp")
  git merge-base --is-ancestor "$base" HEAD 2>/dev/null || base=""
fi
units=("${all_units[@]}")
if [ -n "$base" ]; then
  mapfile -t changed < <({ git diff --name-only "$base" --; git ls-files -o --exclude-standard; } | sort -u)
  if printf '%s\n' "${changed[@]}" | grep -qxE '\.clang-tidy|scripts/lint\.sh'; then
    echo "lint: the clang-tidy setup changed since $base: checking every unit"
  else
    # Units whose dependency list (ninja's deps log, paths made relative to the repo) names a
    # changed file.
    root=$(pwd)
    mapfile -t units < <(ninja -C "$dir" -t deps | awk -v root="$root/" -v builddir="$dir/" '
      FNR == NR { changed[$0] = 1; next }
      /^[^ ]/ { src = ""; hit = 0; next }
      /^    / {
        p = $1
        if (substr(p, 1, 1) != "/") p = root builddir p
        n = split(p, parts, "/"); out = ""; depth = 0
        for (i = 1; i <= n; i++) {
          if (parts[i] == "" || parts[i] == ".") continue
          if (parts[i] == "..") { depth--; continue }
          stack[depth++] = parts[i]
        }
        for (i = 0; i < depth; i++) out = out "/" stack[i]
        if (index(out "/", root) != 1) next
        rel = substr(out, length(root) + 1)
        if (src == "" && rel ~ /^src\/.*\.cpp$/) src = rel
        if ((rel in changed) && src != "" && !(src in done)) { print src; done[src] = 1 }
      }' <(printf '%s\n' "${changed[@]}") -)
    echo "lint: clang-tidy clean at ${base:0:12}; ${#changed[@]} files changed since, ${#units[@]} units to check"
  fi
fi

if [ ${#units[@]} -gt 0 ]; then
  echo "lint: clang-tidy on ${#units[@]} translation units"
  printf '%s\n' "${units[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy -p "$dir" --quiet --extra-arg=-Wno-unknown-warning-option \
      2> >(grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter|^Use -system-headers' >&2)
fi
if [ ${#units[@]} -eq ${#all_units[@]} ] && [ -z "$(git status --porcelain)" ]; then
  git rev-parse HEAD > "$stamp"
  echo "lint: full clang-tidy run clean at $(git rev-parse --short HEAD); commit $stamp to let later runs skip it"
fi
echo "lint: clean"
