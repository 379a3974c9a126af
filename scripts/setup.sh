#!/usr/bin/env bash
# One-step set-up, idempotent; `npm test`, `npm run demo` and `npm run bench` call it first.
#   1. Debian build tools: cmake, g++, make, nlohmann-json3-dev (C++ JSON for safetensors headers and
#      config.json); python3-venv when the system Python lacks ensurepip.
#   2. The libtorch to build against, chosen by scripts/torch-choice.mjs (TORCH_DIR; a Python torch
#      >= 2 on PATH; torch >= 2 pip-installed into .venv with pip as this machine configures it;
#      Debian's libtorch-dev 1.13 last). It prints the choice and why; build-info/torch-choice.json
#      keeps it, and `eyemulator doctor` shows it.
#   3. npm ci when node_modules is missing or older than package-lock.json.
#   4. The native addon (cmake-js) when a C++ source is newer than the built .node, or the chosen
#      libtorch changed (then a clean rebuild).
#   5. The TypeScript build (dist/) used by the `eyemulator` bin.
#   Optional: libgloo-dev (the gloo headers libtorch's c10d/Gloo needs: data-parallel training, `train
#   --nproc`); when apt cannot install it the addon builds without data-parallel training.
# EYEMULATOR_SKIP_APT=1 skips apt; EYEMULATOR_TORCH=debian|venv|python forces a libtorch source.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
  [ "${EYEMULATOR_SKIP_APT:-0}" = 1 ] && return 0
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]}"
    say "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
}

apt_install cmake g++ make nlohmann-json3-dev
# Data-parallel training (cpp/distributed.cpp) compiles against libtorch's c10d with the gloo headers;
# without them the addon still builds and `train --nproc` says what to install.
if [ "${EYEMULATOR_SKIP_APT:-0}" != 1 ] && command -v dpkg-query >/dev/null 2>&1 && [ ! -f /usr/include/gloo/config.h ] && [ -z "${GLOO_INCLUDE_DIR:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt_install libgloo-dev) || say "libgloo-dev could not be installed: building without data-parallel training"
  else
    say "optional: sudo apt-get install -y libgloo-dev enables data-parallel training (train --nproc)"
  fi
fi
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then apt_install python3-venv; fi

# The libtorch choice (see scripts/torch-choice.mjs for the order and the reasons).
choice=$(node scripts/torch-choice.mjs) || { printf '%s\n' "$choice" | sed -n "s/^TORCH_REASON=//p" >&2; say "no usable libtorch"; exit 1; }
eval "$choice"
if [ "$TORCH_DEBIAN_INSTALL" = 1 ] || [ "$TORCH_SOURCE" = debian ]; then
  # Without OpenBLAS Debian's libtorch falls back to the reference BLAS: fp32 ~20x slower.
  apt_install libtorch-dev libopenblas0-pthread
fi
say "libtorch: ${TORCH_SOURCE} ${TORCH_VERSION_CHOSEN:-} (${TORCH_REASON})"
export TORCH_DIR="$TORCH_CHOSEN_DIR"

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
torch_stamp=build/.torch-dir
if [ -f "$addon" ] && [ "$(cat "$torch_stamp" 2>/dev/null)" != "$TORCH_DIR" ]; then
  say "the libtorch changed (was: $(cat "$torch_stamp" 2>/dev/null || echo unknown)): clean rebuild"
  rm -rf build
fi
# The gloo headers appearing (or going) changes what CMake configures: reconfigure then.
gloo_state=off
{ [ -f /usr/include/gloo/config.h ] || [ -n "${GLOO_INCLUDE_DIR:-}" ]; } && gloo_state=on
gloo_stamp=build/.gloo
if [ -f "$addon" ] && [ "$(cat "$gloo_stamp" 2>/dev/null || echo off)" != "$gloo_state" ]; then
  say "gloo headers ${gloo_state}: reconfiguring the native build"
  rm -f build/CMakeCache.txt
  touch CMakeLists.txt
fi
if [ ! -f "$addon" ] || [ -n "$(find cpp binding CMakeLists.txt -newer "$addon" -print -quit 2>/dev/null)" ]; then
  say "building the native addon against ${TORCH_DIR} (cmake-js; first build takes a few minutes on 2 cores)"
  npx cmake-js compile --out build --parallel "$(nproc)" >build-native.log 2>&1 || {
    tail -n 60 build-native.log >&2; say "native build failed; full log: build-native.log"; exit 1; }
  printf '%s' "$TORCH_DIR" > "$torch_stamp"
  printf '%s' "$gloo_state" > "$gloo_stamp"
fi

if [ ! -f dist/.stamp ] || [ -n "$(find src tsconfig.json -newer dist/.stamp -print -quit 2>/dev/null)" ]; then
  say "compiling TypeScript (dist/)"
  npx tsc -p tsconfig.json
  touch dist/.stamp
fi
