#!/usr/bin/env bash
# Builds and runs bench/lib/profile_step.cpp (engine phase profile) with g++ into /tmp; never
# touches build/. Args are passed through: vocab hidden layers heads intermediate seq batch steps
# threads weighted (default: the 4x512 bench size, 5 steps, 2 threads, plain CE).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PROFILE_OUT:-/tmp/eyemulator-profile-step}
mkdir -p "$out"
inc="-I/usr/include -I/usr/include/torch/csrc/api/include"
objs=()
for f in cpp/llama.cpp cpp/loss.cpp cpp/adamw.cpp cpp/trainer.cpp cpp/config.cpp bench/lib/profile_step.cpp; do
  o="$out/$(basename "$f" .cpp).o"
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
    echo "[profile] compiling $f" >&2
    g++ -std=c++17 -O2 -fPIC $inc -c "$f" -o "$o" &
  fi
  objs+=("$o")
done
wait
g++ -o "$out/profile_step" "${objs[@]}" -ltorch -ltorch_cpu -lc10 -Wl,--no-as-needed
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2} OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$out/profile_step" "$@"
