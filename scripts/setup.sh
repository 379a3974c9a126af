#!/usr/bin/env bash
# One-step set-up, idempotent; `npm test`, `npm run demo` and `npm run bench` call it first.
#   1. Debian packages: libtorch-dev (the engine links it), libopenblas0-pthread (without it
#      libtorch falls back to the reference BLAS and fp32 runs ~20x slower), nlohmann-json3-dev
#      (C++ JSON for safetensors headers and config.json), python3-torch (only for the Python peer
#      in `npm run bench`).
#   2. npm ci when node_modules is missing or older than package-lock.json.
#   3. The native addon (cmake-js) when a C++ source is newer than the built .node.
#   4. The TypeScript build (dist/) used by the `eyemulator` bin.
# Set EYEMULATOR_SKIP_APT=1 to skip step 1 (e.g. with your own libtorch given by TORCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*" >&2; }

APT_PKGS=(libtorch-dev libopenblas0-pthread nlohmann-json3-dev python3-torch cmake g++ make)
if [ "${EYEMULATOR_SKIP_APT:-0}" != 1 ] && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing Debian packages: ${missing[*]} (one-time, ~700 MB)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      say "missing Debian packages: ${missing[*]}"
      say "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
      exit 1
    fi
  fi
fi

stamp=node_modules/.eyemulator-lock
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  say "installing npm dependencies (npm ci)"
  # --ignore-scripts: no dependency needs one (tokenizers ships per-platform packages, the grammars
  # are used as .wasm), and the root install script would build the addon before we choose to.
  npm ci --ignore-scripts --no-audit --no-fund >&2
  echo "$lockhash" > "$stamp"
fi

addon=build/Release/eyemulator.node
if [ ! -f "$addon" ] || [ -n "$(find cpp binding CMakeLists.txt -newer "$addon" -print -quit 2>/dev/null)" ]; then
  say "building the native addon (cmake-js; first build takes a few minutes on 2 cores)"
  npx cmake-js compile --out build --parallel "$(nproc)" >build-native.log 2>&1 || {
    tail -n 60 build-native.log >&2; say "native build failed; full log: build-native.log"; exit 1; }
fi

if [ ! -f dist/.stamp ] || [ -n "$(find src tsconfig.json -newer dist/.stamp -print -quit 2>/dev/null)" ]; then
  say "compiling TypeScript (dist/)"
  npx tsc -p tsconfig.json
  touch dist/.stamp
fi
