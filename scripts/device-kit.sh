#!/usr/bin/env bash
# Prepares .devkit/: what scripts/device-check.sh needs on a bare GPU machine that has Python torch,
# cmake, a compiler and nvcc but no node, no npm, no node_modules, no nlohmann-json and no network.
# Run it here (where `npm ci` and Debian's nlohmann-json3-dev are installed), then carry .devkit
# along with the working tree:
#   .devkit/node.xz                     this machine's node binary (stripped when `strip` exists), xz
#   .devkit/node-api-headers/           Node-API C headers (node_api.h, js_native_api.h) = CMAKE_JS_INC
#   .devkit/node-addon-api/             node-addon-api's C++ headers (napi.h, napi-inl.h)
#   .devkit/json/include/nlohmann/      nlohmann-json headers
#   .devkit/json/share/cmake/nlohmann_json/  its CMake package (nlohmann_json_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[device-kit] %s\n' "$*" >&2; }

kit=.devkit
rm -rf "$kit"
mkdir -p "$kit"

# Node-API headers: where cmake-js takes them from (node-api-headers), else Node's own include dir.
napi_inc=""
for d in node_modules/node-api-headers/include /usr/include/node /usr/local/include/node; do
  if [ -f "$d/node_api.h" ] && [ -f "$d/js_native_api.h" ]; then napi_inc=$d; break; fi
done
[ -n "$napi_inc" ] || { say "no Node-API headers (node_api.h) found: run npm ci first"; exit 1; }
mkdir -p "$kit/node-api-headers"
cp "$napi_inc"/node_api.h "$napi_inc"/node_api_types.h "$napi_inc"/js_native_api.h "$napi_inc"/js_native_api_types.h \
  "$kit/node-api-headers/"
say "Node-API headers from $napi_inc"

addon_api=node_modules/node-addon-api
[ -f "$addon_api/napi.h" ] || { say "no $addon_api/napi.h: run npm ci first"; exit 1; }
mkdir -p "$kit/node-addon-api"
cp "$addon_api"/napi.h "$addon_api"/napi-inl.h "$addon_api"/napi-inl.deprecated.h "$kit/node-addon-api/"

# nlohmann-json (Debian's nlohmann-json3-dev), laid out as a prefix so its CMake config finds the headers.
json_cmake=""
if command -v dpkg >/dev/null 2>&1; then
  json_cmake=$(dpkg -L nlohmann-json3-dev 2>/dev/null | grep '/nlohmann_jsonConfig.cmake$' | head -n1 | xargs -r dirname)
fi
[ -n "$json_cmake" ] || json_cmake=/usr/share/cmake/nlohmann_json
[ -f "$json_cmake/nlohmann_jsonConfig.cmake" ] || { say "no nlohmann_jsonConfig.cmake: apt-get install nlohmann-json3-dev"; exit 1; }
[ -f /usr/include/nlohmann/json.hpp ] || { say "no /usr/include/nlohmann/json.hpp: apt-get install nlohmann-json3-dev"; exit 1; }
mkdir -p "$kit/json/include" "$kit/json/share/cmake"
cp -r /usr/include/nlohmann "$kit/json/include/"
cp -r "$json_cmake" "$kit/json/share/cmake/nlohmann_json"

# node: the binary that runs here (Node >= 20.19), stripped of debug info, compressed.
node_bin=$(command -v node)
node_bin=$(readlink -f "$node_bin")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if command -v strip >/dev/null 2>&1 && strip -o "$tmp" "$node_bin" 2>/dev/null; then
  say "node $(node --version) from $node_bin (stripped)"
else
  cp "$node_bin" "$tmp"
  say "node $(node --version) from $node_bin"
fi
xz -T2 -6 -c "$tmp" > "$kit/node.xz"
node --version > "$kit/node.version"

say "wrote $kit: $(du -sh "$kit" | cut -f1)"
du -sh "$kit"/* >&2
