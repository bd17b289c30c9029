# kube-scheduler-simulator with this repository's guests. Included from the root Makefile
# (`include simulator/kube-scheduler-simulator/simulator.mk`); every target also works with
# `make -f simulator/kube-scheduler-simulator/simulator.mk <target>` from the repository root.
#
#   make start-simulator-wasm   clone the simulator (pinned), build its images, start it with
#                               static-webserver serving static/ (UI http://localhost:3000)
#   make stop-simulator         stop it and drop its volumes
#   make reset-simulator        PUT  /api/v1/reset
#   make import-simulator       POST /api/v1/import with $(SIMULATOR_SCENARIO) (after a reset)
#
# No Docker engine? `make run` schedules the same demo locally with `simulator run`.

SIM_WASM_DIR       := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
SIM_ROOT           := $(abspath $(SIM_WASM_DIR)/../..)

DOCKER             ?= docker
CURL               ?= curl
SIMULATOR_REPO     ?= https://github.com/kubernetes-sigs/kube-scheduler-simulator.git
# Wasm plugins need kube-scheduler-simulator at or after b3c7a449 ("support the wasm extension in
# the debuggable scheduler"); this is that commit, the one the kubecon-na-2024 demo pins.
SIMULATOR_REV      ?= b3c7a44969378b6134e74968988a43e08293de11
SIMULATOR_CACHE    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kube-scheduler-simulator/$(SIMULATOR_REV)
SIMULATOR_API      ?= http://localhost:1212
# What import-simulator posts: by default the demo as `simulator run --output` writes it, with
# the guest URLs pointing at static-webserver.
SIMULATOR_SCENARIO ?= $(SIM_ROOT)/.simulator-state/scenario.json
SIMULATOR_CLI      ?= $(or $(CARGO),cargo) run --release --quiet -p simulator --

SIM_COMPOSE = cd $(SIMULATOR_CACHE) && WASM_STATIC_DIR=$(SIM_ROOT)/static $(DOCKER) compose \
	-f compose.yml -f compose.local.yml -f $(SIM_WASM_DIR)/compose.wasm.yml

.PHONY: start-simulator-wasm stop-simulator reset-simulator import-simulator simulator-docker-check simulator-clone

simulator-docker-check: ## check that a Docker engine is reachable
	@if ! command -v $(DOCKER) >/dev/null 2>&1; then \
	  echo "Docker is not installed: kube-scheduler-simulator runs in Docker containers."; \
	  echo "Without Docker, 'make run' schedules the same demo locally (simulator run)."; \
	  exit 1; \
	fi; \
	if ! $(DOCKER) info >/dev/null 2>&1; then \
	  echo "No Docker engine is reachable ('$(DOCKER) info' failed): start Docker and try again."; \
	  echo "Without Docker, 'make run' schedules the same demo locally (simulator run)."; \
	  exit 1; \
	fi

simulator-clone: $(SIMULATOR_CACHE)/.git ## clone kube-scheduler-simulator at the pinned commit

$(SIMULATOR_CACHE)/.git:
	@mkdir -p $(SIMULATOR_CACHE)
	cd $(SIMULATOR_CACHE) && git init -q && \
	  git fetch -q --depth 1 $(SIMULATOR_REPO) $(SIMULATOR_REV) && \
	  git -c advice.detachedHead=false checkout -q FETCH_HEAD

start-simulator-wasm: simulator-docker-check ## clone, build and start kube-scheduler-simulator with our guests (Docker; UI :3000)
	@$(MAKE) --no-print-directory -C $(SIM_ROOT) build
	@$(MAKE) --no-print-directory -f $(SIM_WASM_DIR)/simulator.mk simulator-clone
	cd $(SIMULATOR_CACHE) && $(MAKE) docker_build
	$(SIM_COMPOSE) up -d --remove-orphans
	@echo
	@echo "kube-scheduler-simulator is starting: http://localhost:3000 (API $(SIMULATOR_API))."
	@echo "Guests are served to it as http://static-webserver/<name>.wasm (regex_v1, regex_v2, fleet_score)."
	@echo "Scheduler config to paste (cog icon): simulator/kube-scheduler-simulator/scheduler-config.yaml"

stop-simulator: simulator-docker-check ## stop kube-scheduler-simulator and drop its volumes
	@if [ -d $(SIMULATOR_CACHE)/.git ]; then $(SIM_COMPOSE) down --volumes --remove-orphans; \
	else echo "kube-scheduler-simulator was never started here ($(SIMULATOR_CACHE) does not exist)."; fi

reset-simulator: ## PUT /api/v1/reset
	@$(CURL) -fsS -X PUT $(SIMULATOR_API)/api/v1/reset >/dev/null || { \
	  echo "kube-scheduler-simulator does not answer at $(SIMULATOR_API): start it with 'make start-simulator-wasm'."; exit 1; }
	@echo "reset $(SIMULATOR_API)"

import-simulator: reset-simulator $(SIMULATOR_SCENARIO) ## POST the demo (simulator run --output) to /api/v1/import
	@$(CURL) -fsS -X POST $(SIMULATOR_API)/api/v1/import -H 'Content-Type: application/json' \
	  --data-binary @$(SIMULATOR_SCENARIO) >/dev/null || { \
	  echo "import of $(SIMULATOR_SCENARIO) into $(SIMULATOR_API) failed"; exit 1; }
	@echo "imported $(SIMULATOR_SCENARIO) into $(SIMULATOR_API): open http://localhost:3000"

$(SIM_ROOT)/.simulator-state/scenario.json:
	@mkdir -p $(dir $@)
	cd $(SIM_ROOT) && $(SIMULATOR_CLI) run simulator/scenarios/demo.json \
	  --output $@ --guest-url-base http://static-webserver/
