#!/usr/bin/env bash
# Builds the autoscaler plugin (profile guest, wasm32-wasip1) and runs it in a real Extism host: the
# Python `extism` package (a wheel bundling the Extism runtime), in a virtualenv at .venv/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check 'extism==1.1.1' 'pytest==8.4.2'

rustup target add wasm32-wasip1 >/dev/null 2>&1 || true
# Guests build with the workspace's `guest` profile; AUTOSCALER_PROFILE=release-small uses the
# size-first one (what `make build` ships).
PROFILE="${AUTOSCALER_PROFILE:-guest}"
cargo build --profile "$PROFILE" --target wasm32-wasip1 -p autoscaler
export AUTOSCALER_WASM="$TARGET_DIR/wasm32-wasip1/$PROFILE/autoscaler.wasm"
echo "module: $AUTOSCALER_WASM ($(wc -c < "$AUTOSCALER_WASM") bytes)"
.venv/bin/python -m pytest -q -s autoscaler/tests/test_extism_host.py "$@"
