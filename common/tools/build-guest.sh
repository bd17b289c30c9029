#!/bin/sh
# The SDK's guest build: `cargo build` for wasm32-wasip1, then every guest module it produced made
# free of bulk-memory instructions (lower-bulk-memory.sh, the workspace's lower-bulk-memory tool;
# why: common/RATIONALE.md).
#
#   sh common/tools/build-guest.sh -p my-plugin        # any cargo build arguments
#
# The profile is $GUEST_PROFILE (default: guest, the workspace profile for guests). Prints the path of each built module.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
profile=${GUEST_PROFILE:-guest}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo build --profile "$profile" --target wasm32-wasip1 --message-format=json-render-diagnostics "$@" > "$out"
# The .wasm files cargo reports as compiler artifacts (cdylib outputs).
wasm=$(grep '"reason":"compiler-artifact"' "$out" | grep -o '"[^"]*\.wasm"' | tr -d '"' | sort -u)
if [ -z "$wasm" ]; then
  echo "$0: cargo built no .wasm module (is the crate a cdylib?)" >&2
  exit 1
fi
# shellcheck disable=SC2086
sh "$here/lower-bulk-memory.sh" $wasm
