# Benchmarks: numbers, never pass/fail. Included by the Makefile (`include bench.mk`).
#
#   make bench                        issues 3, 4 and 7: the guests in the simulator's host next to
#                                     the floor and to native goregex/regex, with the targets
#   TINYGO_GUESTS=DIR make bench      also TinyGo's regex_v1.wasm and regex_v2.wasm from DIR, in the
#                                     same table (wasmkwokwizardry/kubecon-na-2024's prebuilt guests)
#   BENCH_ARGS=--quick make bench     a fast run that only shows it works (numbers meaningless)
#   make bench-simulator              `simulator bench` on the shipped guests and the floor
#   make bench-criterion              criterion: native goregex vs regex, compile and match
#   make bench-http-server            http-server under load: 20 keep-alive connections x 10 s on
#                                     loopback (HTTP_LOAD_ARGS to change), throughput and p99
#   make bench-simulator-servers      `simulator autoscale webhook` and `simulator serve` under the
#                                     same load (HTTP_LOAD_ARGS): throughput, p99, errors
#   make bench-fleet-context          fleet-context's /mutate over HTTPS on loopback, 200 fleets:
#                                     latency percentiles at 1 and 8 connections (target p99 <= 5 ms)
#   make bench-adversarial            the adversarial regex corpus in both guests (also run by bench)
#   make bench-burst-header           the Envoy filter in our proxy-wasm host: ns per request on the
#                                     cached path vs a no-op module, and the module size (issue 13)
#
# The guests are measured by bench-harness (bench/harness), the code behind `simulator bench`; bench-report
# (bench/report) adds the native side and computes the ratios from this one run. The whole report
# is also written as JSON to $(BENCH_JSON).

BENCH_GUESTS := bench-floor-guest:bench_floor bench-regex-guest:bench_regex
BENCH_JSON   ?= target/bench/report.json
BENCH_ARGS   ?=

HTTP_LOAD_ARGS ?= --connections 20 --seconds 10

.PHONY: bench bench-guests bench-simulator bench-criterion bench-http-server bench-adversarial bench-burst-header

bench-guests: build ## build the bench guests (floor, regex) into target/guests/
	$(CARGO) build --profile $(GUEST_PROFILE) --target $(WASM_TARGET) $(foreach g,$(BENCH_GUESTS),-p $(word 1,$(subst :, ,$(g))))
	@mkdir -p target/guests
	@for g in $(BENCH_GUESTS); do m=$${g#*:}; cp $(WASM_OUT)/$$m.wasm target/guests/$$m.wasm; \
	  printf '%-28s %8d bytes\n' "target/guests/$$m.wasm" $$(wc -c < target/guests/$$m.wasm); done

bench: bench-guests bench-burst-header ## guests next to the floor and native regex, the adversarial corpus, the Envoy filter (TINYGO_GUESTS=DIR, BENCH_ARGS=--quick)
	@mkdir -p $(dir $(BENCH_JSON))
	$(CARGO) run --release -p bench-report -- --json $(BENCH_JSON) $(if $(TINYGO_GUESTS),--tinygo $(TINYGO_GUESTS)) $(BENCH_ARGS)
	$(CARGO) run --release -q -p bench-report --bin adversarial

bench-adversarial: build ## the adversarial regex corpus in both guests: worst Filter time, linear memory
	$(CARGO) run --release -q -p bench-report --bin adversarial

bench-simulator: bench-guests ## `simulator bench` on the shipped guests and the floor
	$(CARGO) run --release -p simulator -- bench static/regex_v1.wasm static/regex_v2.wasm target/guests/bench_floor.wasm \
	  $(if $(TINYGO_GUESTS),$(TINYGO_GUESTS)/regex_v1.wasm $(TINYGO_GUESTS)/regex_v2.wasm)

bench-criterion: ## criterion: native goregex vs regex, compile and match
	$(CARGO) bench -p bench-report

bench-http-server: ## http-server under load on loopback: throughput and p99 (HTTP_LOAD_ARGS)
	$(CARGO) run --release -p http-server --example load -- $(HTTP_LOAD_ARGS)

.PHONY: bench-simulator-servers
bench-simulator-servers: ## `simulator autoscale webhook` and `simulator serve` under load on loopback (HTTP_LOAD_ARGS)
	$(CARGO) build --release -p simulator
	$(CARGO) build --release -p http-server --example load
	sh simulator/cli/tools/bench-servers.sh $(HTTP_LOAD_ARGS)

.PHONY: bench-fleet-context
bench-fleet-context: ## fleet-context's admission webhook over HTTPS on loopback: p50/p99 at 1 and 8 connections
	$(CARGO) run -q --release -p fleet-context --example mutate_load -- 1 3000 200
	$(CARGO) run -q --release -p fleet-context --example mutate_load -- 8 2000 200

bench-burst-header: build ## the Envoy filter in our proxy-wasm host: ns per request (cached path), module size
	$(CARGO) bench -q -p burst-header --bench overhead -- $(BENCH_ARGS)
