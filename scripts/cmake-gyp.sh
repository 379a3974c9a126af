#!/usr/bin/env bash
# prebuildify only knows node-gyp; this shim stands in for it and builds with cmake-js instead.
# prebuildify calls `<shim> rebuild …`; we ignore its arguments. Output: build/Release/eyemulator.node.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx cmake-js rebuild --out build
