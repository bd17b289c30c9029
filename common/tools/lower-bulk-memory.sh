#!/bin/sh
# Rewrites guest modules in place so they contain no bulk-memory instructions (memory.copy,
# memory.fill): each becomes a call to an added plain-wasm memmove/memset that works 8 bytes at a
# time, by the workspace's `lower-bulk-memory` tool (common/lower-bulk-memory). Guests built so run
# in kube-scheduler-wasm-extension hosts built with Go >= 1.24 on wazero < 1.9.0, where a
# memory.copy can corrupt a register and trap (see common/RATIONALE.md, "Why no bulk-memory
# instructions").
#
#   sh common/tools/lower-bulk-memory.sh GUEST.wasm...
#
# Needs only cargo: the tool is built on first use (dev profile, this workspace's target directory).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
  echo "usage: $0 GUEST.wasm..." >&2
  exit 2
fi
exec "${CARGO:-cargo}" run -q --manifest-path "$here/../lower-bulk-memory/Cargo.toml" --bin lower-bulk-memory -- "$@"
