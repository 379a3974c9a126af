#!/usr/bin/env bash
# The GPU check, on a bare GPU machine: Python torch (CUDA), cmake, a C++ compiler and nvcc, but no
# node, npm, node_modules, nlohmann-json or network. Needs .devkit/ (made by scripts/device-kit.sh
# on a development machine and carried along). From the repository root:
#
#   bash scripts/device-check.sh
#
# 1. unpacks .devkit/node.xz into /tmp/eyemulator-node;
# 2. builds the addon with plain cmake (not cmake-js) against Python torch's libtorch into
#    build-cuda/ (TorchConfig.cmake first; if that configure fails, or the result cannot see CUDA,
#    again with -DEYEMULATOR_TORCH_MANUAL=ON, which links torch/torch_cuda directly);
# 3. runs scripts/device-check.mjs build-cuda/eyemulator.node: CPU vs CUDA, one line per check.
# Exit status: 0 only when the build and every check passed. Env: PYTHON (default python3),
# JOBS (default nproc), EYEMULATOR_TORCH_MANUAL=1 to go straight to the manual link. For a dry run
# of the build path without Python torch: TORCH_ROOT=<libtorch prefix> EYEMULATOR_TORCH_CXX11_ABI=0|1
# EYEMULATOR_TORCH_MANUAL=1 DEVICE_CHECK_ARGS=--cpu-only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
kit=$root/.devkit
t0=$(date +%s)
say() { printf '[device-check %3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
die() { say "FAIL $*"; exit 1; }

[ -f "$kit/node.xz" ] || die "no .devkit/node.xz: run scripts/device-kit.sh on a development machine and carry .devkit"

# 1. node
nodedir=/tmp/eyemulator-node
mkdir -p "$nodedir"
if [ ! -x "$nodedir/node" ] || ! "$nodedir/node" --version >/dev/null 2>&1; then
  xz -dc "$kit/node.xz" > "$nodedir/node.tmp"
  chmod +x "$nodedir/node.tmp"
  mv "$nodedir/node.tmp" "$nodedir/node"
fi
export PATH="$nodedir:$PATH"
node --version >/dev/null 2>&1 || die "the carried node does not run here: $(node --version 2>&1 | head -n1)"

# 2. libtorch from Python torch
PY=${PYTHON:-python3}
if [ -n "${TORCH_ROOT:-}" ]; then
  torch_root=$TORCH_ROOT
  torch_abi=${EYEMULATOR_TORCH_CXX11_ABI:?set EYEMULATOR_TORCH_CXX11_ABI with TORCH_ROOT}
  say "node $(node --version), libtorch at $torch_root (TORCH_ROOT, C++11 ABI $torch_abi)"
else
  read -r torch_ver torch_cuda torch_gpu torch_cmake torch_abi < <("$PY" -c "
import torch, torch.utils
print(torch.__version__, torch.version.cuda, torch.cuda.is_available(), torch.utils.cmake_prefix_path, int(torch._C._GLIBCXX_USE_CXX11_ABI))
") || die "$PY cannot import torch"
  torch_root=$(cd "$torch_cmake/../.." && pwd)
  say "node $(node --version), Python torch $torch_ver (CUDA $torch_cuda, GPU visible to Python: $torch_gpu, C++11 ABI $torch_abi) at $torch_root"
fi
for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
  if [ -x "$d/nvcc" ]; then export PATH="$PATH:$d"; break; fi
done
command -v nvcc >/dev/null 2>&1 && say "nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"

gen="Unix Makefiles"
command -v ninja >/dev/null 2>&1 && gen=Ninja
jobs=${JOBS:-$(nproc)}
build=build-cuda

configure() {  # $1 = extra cmake args (manual mode)
  rm -rf "$build"
  mkdir -p "$build"
  cmake -S . -B "$build" -G "$gen" -DCMAKE_BUILD_TYPE=Release \
    -DTORCH_DIR="$torch_root" \
    -DCMAKE_JS_INC="$kit/node-api-headers" \
    -DNODE_ADDON_API_DIR="$kit/node-addon-api" \
    -Dnlohmann_json_DIR="$kit/json/share/cmake/nlohmann_json" \
    -DCMAKE_CXX_FLAGS=-DBUILDING_NODE_EXTENSION \
    -DEYEMULATOR_TORCH_CXX11_ABI="$torch_abi" \
    "$@" > "$build/configure.log" 2>&1
}
compile() {
  cmake --build "$build" -j "$jobs" > "$build/build.log" 2>&1
}
addon_cuda() {  # prints true/false: can the built addon use CUDA?
  node -e "const a=require(process.argv[1]);process.stdout.write(String(a.version().cuda))" "$root/$build/eyemulator.node" 2>/dev/null || echo false
}

mode=torchconfig
if [ "${EYEMULATOR_TORCH_MANUAL:-0}" = 1 ]; then mode=manual; fi
built=0
if [ $mode = torchconfig ]; then
  if configure; then
    say "configured with TorchConfig.cmake: $(grep -o 'eyemulator: Torch.*' "$build/configure.log" | head -n1)"
    if compile; then
      built=1
      if [ "$(addon_cuda)" != true ]; then
        say "the TorchConfig build does not see CUDA; rebuilding with the manual link"
        built=0
      fi
    else
      if grep -qE '\.(cpp|h)(pp)?:[0-9]+:[0-9]+: (fatal )?error' "$build/build.log"; then
        # A compile error is the code's, not the link's: the manual link would fail the same way.
        grep -E '(error|required from)' "$build/build.log" | head -n 20
        die "compile errors (full log: $build/build.log)"
      fi
      say "TorchConfig build failed (last lines of $build/build.log):"
      tail -n 15 "$build/build.log"
    fi
  else
    say "TorchConfig configure failed (last lines of $build/configure.log):"
    grep -iE 'error|could not|not found' "$build/configure.log" | head -n 8 || tail -n 8 "$build/configure.log"
  fi
  [ $built = 1 ] || mode=manual
fi
if [ $mode = manual ]; then
  configure -DEYEMULATOR_TORCH_MANUAL=ON || { tail -n 30 "$build/configure.log"; die "configure (manual link) failed"; }
  say "configured with the manual link: $(grep -o 'eyemulator: Torch.*' "$build/configure.log" | head -n1)"
  compile || { grep -E 'error' "$build/build.log" | head -n 20; tail -n 10 "$build/build.log"; die "build failed: $build/build.log"; }
fi
[ -f "$build/eyemulator.node" ] || die "no $build/eyemulator.node after the build"
say "built $build/eyemulator.node ($mode, $(du -k "$build/eyemulator.node" | cut -f1) KB, -j$jobs, $gen); addon sees CUDA: $(addon_cuda)"

# 3. the checks
set +e
# shellcheck disable=SC2086
node scripts/device-check.mjs "$build/eyemulator.node" ${DEVICE_CHECK_ARGS:-}
rc=$?
set -e
say "done (exit $rc)"
exit $rc
