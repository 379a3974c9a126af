#!/usr/bin/env bash
# Operator profile of the engine's training step (bench/lib/profile_step.cpp), outside Node, linked
# against the addon build's engine library (build/libeyemulator_engine.a: run `bash scripts/setup.sh`
# first) and the libtorch it was built with (build-info/torch-choice.json). Compiles into /tmp; never
# touches build/. Args pass through: V H L heads I T B steps threads lora_r gamma.
#   bash bench/lib/profile_step.sh                       # demo shape, full FT
#   bash bench/lib/profile_step.sh 8192 512 4 8 1376 256 8 3 2 16   # 4x512, LoRA r16
# The HF transformers (+PEFT) profile with the same args: .venv/bin/python bench/lib/profile_hf.py …
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=build/libeyemulator_engine.a
[ -f "$lib" ] || lib=$(find build -name libeyemulator_engine.a | head -1)
[ -n "$lib" ] && [ -f "$lib" ] || { echo "[profile] no build/libeyemulator_engine.a: run bash scripts/setup.sh first" >&2; exit 1; }
torch_cmake=$(grep -o '"torchDir": *"[^"]*"' build-info/torch-choice.json 2>/dev/null | sed 's/.*"\([^"]*\)"$/\1/' || true)
if [ -n "$torch_cmake" ] && [ -d "$torch_cmake/../../../include" ]; then
  prefix=$(cd "$torch_cmake/../../.." && pwd)          # …/site-packages/torch (share/cmake/Torch → torch)
else
  prefix=/usr                                           # Debian's libtorch
fi
inc="-I$prefix/include -I$prefix/include/torch/csrc/api/include"
libdir="$prefix/lib"
[ "$prefix" = /usr ] && libdir=/usr/lib/x86_64-linux-gnu
abi=${EYEMULATOR_TORCH_CXX11_ABI:-1}   # torch wheels >= 2.7 and Debian's libtorch use the C++11 ABI
out=${PROFILE_OUT:-/tmp/eyemulator-profile-step}
mkdir -p "$out"
echo "[profile] libtorch from $prefix; engine $lib" >&2
g++ -std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI="$abi" $inc -Icpp bench/lib/profile_step.cpp "$lib" -o "$out/profile_step" \
  -L"$libdir" -Wl,-rpath,"$libdir" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed -lpthread
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2} OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$out/profile_step" "$@"
