#!/bin/sh
# Load test of the simulator's two servers on loopback (numbers, not pass/fail):
# `simulator autoscale webhook` answering the seed FleetAutoscaleReview (POST /scale) and
# `simulator serve` sending a 100 KiB guest (GET /guest.wasm), each driven by http-server's `load`
# example (keep-alive connections sending back to back; throughput, p50/p99/max, errors).
# Request logs go to /dev/null, as a production log shipper would take them off the hot path.
#
#   sh simulator/cli/tools/bench-servers.sh [load flags, default: --connections 20 --seconds 10]
#
# Needs target/release/simulator and target/release/examples/load (`make bench-simulator-servers`
# builds both). Exits non-zero if a run saw an error or a non-2xx answer.
set -eu

SIM=${SIM:-target/release/simulator}
LOAD=${LOAD:-target/release/examples/load}
[ $# -gt 0 ] || set -- --connections 20 --seconds 10
for f in "$SIM" "$LOAD"; do
  [ -x "$f" ] || { echo "bench-servers: $f is missing (make bench-simulator-servers builds it)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

# Starts the server given as arguments and waits for its first line; sets pid and addr (host:port).
start() {
  "$SIM" "$@" >"$tmp/out" 2>/dev/null &
  pid=$!
  i=0
  until grep -q '://' "$tmp/out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 600 ] || { echo "bench-servers: $1 did not start" >&2; exit 1; }
    sleep 0.05
  done
  addr=$(sed -n 's|.* on https\{0,1\}://\([^/ ]*\).*|\1|p' "$tmp/out")
}

# SIGTERM, then the exit status must be 0 and the last line `stopped`.
stop() {
  kill -TERM "$pid"
  wait "$pid" || { echo "bench-servers: exit status $? after SIGTERM" >&2; exit 1; }
  pid=
  [ "$(tail -n 1 "$tmp/out")" = stopped ] || { echo "bench-servers: no 'stopped' line" >&2; exit 1; }
}

cat >"$tmp/fas.yaml" <<'EOF'
apiVersion: autoscaling.agones.dev/v1
kind: FleetAutoscaler
spec:
  fleetName: sample-fleet
  policy:
    type: Buffer
    buffer: {bufferSize: 5, minReplicas: 0, maxReplicas: 100}
EOF
printf '%s' '{"kind":"FleetAutoscaleReview","request":{"uid":"sample-uid","name":"sample-fleet","namespace":"default","status":{"replicas":5,"readyReplicas":3,"reservedReplicas":1,"allocatedReplicas":2}}}' >"$tmp/review.json"

status=0
start autoscale webhook --policy "$tmp/fas.yaml" --addr 127.0.0.1:0
printf 'webhook: '
"$LOAD" --addr "$addr" --path /scale --body-file "$tmp/review.json" "$@" || status=1
stop

mkdir "$tmp/static"
head -c 102400 /dev/urandom >"$tmp/static/guest.wasm"
start serve --dir "$tmp/static" --addr 127.0.0.1:0
printf 'serve:   '
"$LOAD" --addr "$addr" --path /guest.wasm "$@" || status=1
stop
exit $status
