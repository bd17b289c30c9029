# Benchmarks: numbers, never pass/fail. Included by the Makefile (`include bench.mk`).
#
#   make bench                        issues 3, 4 and 7: the guests in the simulator's host next to
#                                     the floor and to native goregex/regex, with the targets
#   TINYGO_GUESTS=DIR make bench      also TinyGo's regex_v1.wasm and regex_v2.wasm from DIR, in the
#                                     same table (wasmkwokwizardry/kubecon-na-2024's prebuilt guests)
#   BENCH_ARGS=--quick make bench     a fast run that only shows it works (numbers meaningless)
#   make bench-simulator              `simulator bench` on the shipped guests and the floor
#   make bench-criterion              criterion: native goregex vs regex, compile and match
#   make bench-burst-header           the Envoy filter in our proxy-wasm host: ns per request on the
#                                     cached path vs a no-op module, and the module size (issue 13)
#
# The guests are measured by simulator::bench, the code behind `simulator bench`; bench-report
# (bench/report) adds the native side and computes the ratios from this one run. The whole report
# is also written as JSON to $(BENCH_JSON).

BENCH_GUESTS := bench-floor-guest:bench_floor bench-regex-guest:bench_regex
BENCH_JSON   ?= target/bench/report.json
BENCH_ARGS   ?=

.PHONY: bench bench-guests bench-simulator bench-criterion bench-burst-header

bench-guests: build
	$(CARGO) build --release --target $(WASM_TARGET) $(foreach g,$(BENCH_GUESTS),-p $(word 1,$(subst :, ,$(g))))
	@mkdir -p target/guests
	@for g in $(BENCH_GUESTS); do m=$${g#*:}; cp $(WASM_OUT)/$$m.wasm target/guests/$$m.wasm; \
	  printf '%-28s %8d bytes\n' "target/guests/$$m.wasm" $$(wc -c < target/guests/$$m.wasm); done

bench: bench-guests bench-burst-header
	@mkdir -p $(dir $(BENCH_JSON))
	$(CARGO) run --release -p bench-report -- --json $(BENCH_JSON) $(if $(TINYGO_GUESTS),--tinygo $(TINYGO_GUESTS)) $(BENCH_ARGS)

bench-simulator: bench-guests
	$(CARGO) run --release -p simulator -- bench static/regex_v1.wasm static/regex_v2.wasm target/guests/bench_floor.wasm \
	  $(if $(TINYGO_GUESTS),$(TINYGO_GUESTS)/regex_v1.wasm $(TINYGO_GUESTS)/regex_v2.wasm)

bench-criterion:
	$(CARGO) bench -p bench-report

bench-burst-header: build
	$(CARGO) bench -q -p burst-header --bench overhead -- $(BENCH_ARGS)
