#!/usr/bin/env bash
# The fallback stays checked: builds the addon against Debian's libtorch-dev 1.13 into
# build-fallback/ (beside the default build, which it does not touch) and runs the engine's tests
# against it (EYEMULATOR_ADDON points src/native at that build). CI runs it after `npm test`.
# `npm run test:fallback`; EYEMULATOR_FALLBACK_TESTS overrides the test files (a glob for ava).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[fallback] %s\n' "$*" >&2; }
# libgloo-dev: Debian's libtorch 1.13 links libgloo0; its headers let the addon use c10d/Gloo.
pkgs=(libtorch-dev libopenblas0-pthread cmake g++ make nlohmann-json3-dev libgloo-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})"; exit 1
  fi
fi
[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund >&2
addon=build-fallback/Release/eyemulator.node
if [ ! -f "$addon" ] || [ -n "$(find cpp binding CMakeLists.txt -newer "$addon" -print -quit 2>/dev/null)" ]; then
  say "building against Debian's libtorch 1.13 into build-fallback/ (log: build-fallback.log)"
  TORCH_DIR=/usr/lib/x86_64-linux-gnu/cmake/Torch npx cmake-js compile --out build-fallback --parallel "$(nproc)" >build-fallback.log 2>&1 || {
    tail -n 60 build-fallback.log >&2; say "fallback build failed"; exit 1; }
fi
say "engine tests against $(node -e "process.env.EYEMULATOR_ADDON='$addon'; import('./src/native/index.ts').then(m=>console.log('libtorch '+m.native().version().torch)).catch(e=>console.log(e.message))" --import tsx 2>/dev/null || echo '?')"
EYEMULATOR_ADDON="$addon" npx ava ${EYEMULATOR_FALLBACK_TESTS:-'test/engine/**/*.test.ts'}
