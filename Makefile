# The two commands a user needs:
#   make run    build the guests and run them in the simulator on the bundled demo
#   make test   everything CI checks: formatting, lints, unit and integration tests
# Both install what they need (the wasm32-wasip1 target) on a fresh machine with Rust and make.

CARGO       ?= cargo
WASM_TARGET := wasm32-wasip1
WASM_OUT    := target/$(WASM_TARGET)/release
STATIC      := static

# package name : module name. GUESTS ship in static/<module>.wasm; TEST_GUESTS are fixtures for the
# integration tests, copied to target/guests/.
GUESTS      := regex-v1:regex_v1 regex-v2:regex_v2 fleet-score:fleet_score
TEST_GUESTS := trap-guest:trap_guest

.PHONY: all build setup run test lint unit extism clean help

all: build

help:
	@echo "make run     build the guests and schedule the demo scenario in the simulator"
	@echo "make test    fmt check, clippy -D warnings, cargo doc -D warnings, unit, integration and Extism tests"
	@echo "make build   build static/*.wasm (release, $(WASM_TARGET))"
	@echo "make bench   benchmarks (numbers, not pass/fail)"

setup:
	@command -v rustup >/dev/null 2>&1 && { rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET); } || true
	@command -v rustup >/dev/null 2>&1 && rustup component add rustfmt clippy >/dev/null 2>&1 || true
	@command -v rustup >/dev/null 2>&1 && { rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown; } || true

build: setup
	$(CARGO) build --release --target $(WASM_TARGET) $(foreach g,$(GUESTS) $(TEST_GUESTS),-p $(word 1,$(subst :, ,$(g))))
	@mkdir -p $(STATIC) target/guests
	@for g in $(GUESTS); do m=$${g#*:}; cp $(WASM_OUT)/$$m.wasm $(STATIC)/$$m.wasm; \
	  printf '%-28s %8d bytes\n' "$(STATIC)/$$m.wasm" $$(wc -c < $(STATIC)/$$m.wasm); done
	@for g in $(TEST_GUESTS); do m=$${g#*:}; cp $(WASM_OUT)/$$m.wasm target/guests/$$m.wasm; done
	$(CARGO) build --profile release-small --target $(WASM_TARGET) -p autoscaler
	@cp target/$(WASM_TARGET)/release-small/autoscaler.wasm $(STATIC)/autoscaler.wasm
	@printf '%-28s %8d bytes (target <= 300 KB)\n' "$(STATIC)/autoscaler.wasm" $$(wc -c < $(STATIC)/autoscaler.wasm)
	# The Envoy/Istio burst-header filter (proxy-wasm), for wasm32-unknown-unknown as the original.
	$(CARGO) build --profile release-small --target wasm32-unknown-unknown -p burst-header
	@cp target/wasm32-unknown-unknown/release-small/burst_header.wasm $(STATIC)/burst_header.wasm
	@printf '%-28s %8d bytes (target <= 150 KB)\n' "$(STATIC)/burst_header.wasm" $$(wc -c < $(STATIC)/burst_header.wasm)

# The main job: the seed's demo (nodes node-default, kubecon-1, kubecon-2; pods annotated
# kubecon-.*, cncf-.* and one without) scheduled with regex_v1 in the simulator.
run: build
	$(CARGO) run --release -q -p simulator -- run simulator/scenarios/demo.json

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps -q

unit: build
	$(CARGO) test --workspace

# The Agones autoscaler plugin in a real Extism host (the Python extism wheel, in .venv/).
extism: build
	AUTOSCALER_PROFILE=release-small bash autoscaler/tests/run.sh

test: lint unit extism

clean:
	$(CARGO) clean
	rm -rf $(STATIC)

# The real kube-scheduler-simulator with our guests (needs Docker): start-simulator-wasm,
# stop-simulator, reset-simulator, import-simulator.
include simulator/kube-scheduler-simulator/simulator.mk
include bench.mk
