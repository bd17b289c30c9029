# The two commands a user needs:
#   make run    build the guests and run them in the simulator on the bundled demo
#   make test   everything CI checks: formatting, lints, unit and integration tests
# Both install what they need (the wasm32-wasip1 target) on a fresh machine with Rust and make.

CARGO       ?= cargo
WASM_TARGET := wasm32-wasip1
# Guests build with the `guest` profile (fat LTO, one codegen unit, panic=abort); native binaries
# with `release` (Cargo's defaults): see the profiles in Cargo.toml.
GUEST_PROFILE := guest
WASM_OUT    := target/$(WASM_TARGET)/$(GUEST_PROFILE)
STATIC      := static
# Every shipped guest is made free of memory.copy/memory.fill after the build (the workspace's
# lower-bulk-memory tool): wazero < 1.9.0 built with Go >= 1.24 can trap on them (common/RATIONALE.md).
LOWER_BULK_MEMORY := sh common/tools/lower-bulk-memory.sh

# package name : module name. GUESTS ship in static/<module>.wasm; TEST_GUESTS are fixtures for the
# integration tests, copied to target/guests/.
GUESTS      := regex-v1:regex_v1 regex-v2:regex_v2 fleet-score:fleet_score
TEST_GUESTS := trap-guest:trap_guest

.PHONY: all guests build setup run test lint unit extism fuzz clean help

all: build ## same as make build

# Every target with a `## ` comment on its line is listed by `make help` (this Makefile, bench.mk and
# simulator.mk alike).
help: ## this list
	@awk -F':.*## ' '/^[a-zA-Z0-9_-]+:.*## / { printf "  make %-24s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: ## install the wasm32-wasip1 target, rustfmt and clippy (rustup)
	@command -v rustup >/dev/null 2>&1 && { rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET); } || true
	@command -v rustup >/dev/null 2>&1 && rustup component add rustfmt clippy >/dev/null 2>&1 || true
	@command -v rustup >/dev/null 2>&1 && { rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown; } || true

# The shipped guests only: what `make run` needs.
guests: setup ## build the shipped guests static/regex_v1.wasm, regex_v2.wasm, fleet_score.wasm (profile guest)
	$(CARGO) build --profile $(GUEST_PROFILE) --target $(WASM_TARGET) $(foreach g,$(GUESTS),-p $(word 1,$(subst :, ,$(g))))
	@mkdir -p $(STATIC)
	@for g in $(GUESTS); do m=$${g#*:}; cp $(WASM_OUT)/$$m.wasm $(STATIC)/$$m.wasm; \
	  printf '%-28s %8d bytes\n' "$(STATIC)/$$m.wasm" $$(wc -c < $(STATIC)/$$m.wasm); done
	@$(LOWER_BULK_MEMORY) $(foreach g,$(GUESTS),$(STATIC)/$(word 2,$(subst :, ,$(g))).wasm)

build: guests ## build every guest: static/*.wasm (with autoscaler.wasm) and the test guests
	$(CARGO) build --profile $(GUEST_PROFILE) --target $(WASM_TARGET) $(foreach g,$(TEST_GUESTS),-p $(word 1,$(subst :, ,$(g))))
	@mkdir -p target/guests
	@for g in $(TEST_GUESTS); do m=$${g#*:}; cp $(WASM_OUT)/$$m.wasm target/guests/$$m.wasm; done
	$(CARGO) build --profile release-small --target $(WASM_TARGET) -p autoscaler
	@cp target/$(WASM_TARGET)/release-small/autoscaler.wasm $(STATIC)/autoscaler.wasm
	@printf '%-28s %8d bytes (target <= 300 KB)\n' "$(STATIC)/autoscaler.wasm" $$(wc -c < $(STATIC)/autoscaler.wasm)
	@$(LOWER_BULK_MEMORY) $(STATIC)/autoscaler.wasm
	$(CARGO) build --profile release-small --target wasm32-unknown-unknown -p burst-header
	@cp target/wasm32-unknown-unknown/release-small/burst_header.wasm $(STATIC)/burst_header.wasm
	@printf '%-28s %8d bytes (target <= 150 KB)\n' "$(STATIC)/burst_header.wasm" $$(wc -c < $(STATIC)/burst_header.wasm)

# The main job: the seed's demo (nodes node-default, kubecon-1, kubecon-2; pods annotated
# kubecon-.*, cncf-.* and one without) scheduled with regex_v1 in the simulator.
run: guests ## build the shipped guests and schedule the demo scenario in the simulator
	$(CARGO) run --release -q -p simulator -- run simulator/scenarios/demo.json

lint: setup ## fmt check, clippy --all-targets -D warnings, cargo doc -D warnings, no citation of a document outside the repo
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps -q
	python3 tools/check-doc-refs.py

unit: build ## cargo test --workspace (needs the built guests), and the Envoy filter built for wasm32-wasip1
	$(CARGO) test --workspace
	$(CARGO) build -q --profile release-small --target $(WASM_TARGET) -p burst-header
	BURST_HEADER_WASM=$(CURDIR)/target/$(WASM_TARGET)/release-small/burst_header.wasm $(CARGO) test -q -p burst-header --test filter

# Coverage-guided fuzzing (AFL++ through cargo-afl) of every parser of untrusted bytes: each target
# of fuzz/ for FUZZ_SECS seconds, starting from fuzz/corpus/<target>; findings land in
# target/afl/out/<target>/default/crashes. `make test` only replays the corpus (fuzz/tests/corpus.rs).
FUZZ_SECS    ?= 600
FUZZ_TARGETS ?= pod_proto goregex regex_guest fleet_score autoscale_review
fuzz: ## fuzz every parser of untrusted bytes with AFL++ (FUZZ_SECS per target, default 600)
	@command -v cargo-afl >/dev/null 2>&1 || $(CARGO) install cargo-afl --locked
	@$(CARGO) afl config --build >/dev/null 2>&1 || true
	CARGO_TARGET_DIR=target/afl $(CARGO) afl build --release -p fuzz-targets --features afl
	@mkdir -p target/afl/out
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz_$$t: $(FUZZ_SECS) s"; \
	  AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	    $(CARGO) afl fuzz -V $(FUZZ_SECS) -i fuzz/corpus/$$t -o target/afl/out/$$t target/afl/release/fuzz_$$t >target/afl/$$t.log 2>&1; \
	  grep -E "^(execs_done|corpus_count|saved_crashes|saved_hangs)" target/afl/out/$$t/default/fuzzer_stats; \
	done

# The Agones autoscaler plugin in a real Extism host (the Python extism wheel, in .venv/).
extism: build ## the autoscaler plugin in a real Extism host (Python extism wheel in .venv/)
	AUTOSCALER_PROFILE=release-small bash autoscaler/tests/run.sh

test: lint unit extism ## everything CI checks: lint, unit, extism

clean: ## cargo clean and remove static/
	$(CARGO) clean
	rm -rf $(STATIC)

# The real kube-scheduler-simulator with our guests (needs Docker): start-simulator-wasm,
# stop-simulator, reset-simulator, import-simulator.
include simulator/kube-scheduler-simulator/simulator.mk
include bench.mk
