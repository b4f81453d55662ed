#!/usr/bin/env bash
# Installs every Debian package Minerva's build, tests and lint need.
# Idempotent: packages already present are skipped by apt-get; safe to run again.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config
  clang clang-format clang-tidy libclang-rt-14-dev   # lint + sanitizers
  libgtest-dev libgmock-dev libbenchmark-dev        # tests + benchmarks
  nlohmann-json3-dev libcli11-dev                    # JSON, command line
  libpcre2-dev libutf8proc-dev                       # tokenizer regexes, Unicode normalization
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev  # HTTP server (the packaged library is built with TLS + compression)
  chromium chromium-driver                           # the chat page's browser tests (playwright-core drives it)
)

# Node.js runs the OpenAI client compatibility test; most machines of this kind ship it.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

install_npm_packages() {
  # Pinned by each folder's package-lock.json: the official OpenAI Node client, ajv +
  # ajv-formats (an independent JSON Schema validator for structured output), and playwright-core
  # (driving Debian's chromium; it never downloads a browser of its own).
  local root dir
  root="$(dirname "$0")/../tests/integration"
  for pkg in openai_client/openai structured_output/ajv-formats web_ui/playwright-core; do
    dir="$root/${pkg%%/*}"
    [ -f "$dir/node_modules/${pkg#*/}/package.json" ] && continue
    echo "setup: installing npm packages in tests/integration/${pkg%%/*}"
    if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error); then
      echo "setup: npm ci failed in $dir (is the npm registry reachable?)" >&2
      exit 1
    fi
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  install_npm_packages
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: not root and no sudo; install them with apt-get as root" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
  echo "setup: apt-get update failed (no network to the Debian mirror?)" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "setup: apt-get install failed for: ${missing[*]}" >&2
  exit 1
fi
install_npm_packages
