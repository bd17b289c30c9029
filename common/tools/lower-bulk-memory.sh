#!/bin/sh
# Rewrites guest modules in place so they contain no bulk-memory instructions (memory.copy,
# memory.fill): each becomes a call to a plain-wasm loop, by binaryen's
# --llvm-memory-copy-fill-lowering pass. Guests built so run in kube-scheduler-wasm-extension hosts
# built with Go >= 1.24 on wazero < 1.9.0, where a memory.copy can corrupt a register and trap
# (see common/RATIONALE.md, "Why no bulk-memory instructions").
#
#   sh common/tools/lower-bulk-memory.sh GUEST.wasm...
#
# Needs node and npm (binaryen's wasm-opt, pinned below, is installed on first use from the npm
# registry into $BINARYEN_DIR, by default target/tools/binaryen-<version> under the current
# directory or $CARGO_TARGET_DIR).
set -eu

BINARYEN_VERSION=132.0.0
BINARYEN_DIR=${BINARYEN_DIR:-${CARGO_TARGET_DIR:-target}/tools/binaryen-$BINARYEN_VERSION}
WASM_OPT=$BINARYEN_DIR/node_modules/binaryen/bin/wasm-opt

if [ $# -eq 0 ]; then
  echo "usage: $0 GUEST.wasm..." >&2
  exit 2
fi
for tool in node npm; do
  command -v $tool >/dev/null 2>&1 || { echo "$0: needs $tool (Node.js) to run binaryen's wasm-opt" >&2; exit 1; }
done
if [ ! -f "$WASM_OPT" ]; then
  mkdir -p "$BINARYEN_DIR"
  npm install --silent --no-audit --no-fund --prefix "$BINARYEN_DIR" "binaryen@$BINARYEN_VERSION" >&2
fi

# The features rustc enables for wasm32-wasip1 (plus SIMD, which wazero supports): wasm-opt must
# accept the input; the pass then turns bulk memory off, so none is emitted.
FEATURES="--enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types --enable-simd"

for wasm in "$@"; do
  before=$(wc -c < "$wasm")
  # shellcheck disable=SC2086
  node "$WASM_OPT" $FEATURES --llvm-memory-copy-fill-lowering "$wasm" -o "$wasm.lowered"
  mv "$wasm.lowered" "$wasm"
  printf '%-28s %8d bytes (bulk memory lowered; %d before)\n' "$wasm" "$(wc -c < "$wasm")" "$before"
done
