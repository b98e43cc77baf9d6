# secret-sidecar: every entry point. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_MODULES := node_modules/.install-stamp

.PHONY: help install moto lint format typecheck build packages publish-layer release test test-unit demo bench synth deploy clean

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(NODE_MODULES): package.json package-lock.json
	@command -v node >/dev/null || { echo "error: node (>= 20.18) is required" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(NODE_MODULES) ## Install npm dependencies (npm ci)

moto: ## Find or install moto_server (PATH, else .venv via pip)
	@moto_bin="$$(scripts/ensure-moto.sh)"; echo "moto_server: $$moto_bin"

lint: $(NODE_MODULES) ## Biome lint + format check
	npx biome ci .

format: $(NODE_MODULES) ## Apply Biome formatting and safe fixes
	npx biome check --write .

typecheck: $(NODE_MODULES) ## tsc --noEmit over everything, tests included
	npx tsc --noEmit -p tsconfig.json

build: $(NODE_MODULES) ## Bundle the layer, rotation and inference functions into dist/
	npx tsx scripts/build.ts

packages: build ## npm tarballs of the client, the constructs and the standalone layers -> dist/packages/
	npx tsx scripts/packages.ts

release: packages ## Release artifacts -> dist/release/: layer zips, tarballs, CycloneDX SBOMs, licences, SHA256SUMS (reproducible)
	npx tsx scripts/release.ts

# Share with ORGANIZATION=o-... or ACCOUNTS=111122223333,444455556666; FLAVOURS="node standalone-arm64"; JSON=1.
publish-layer: build ## Publish the layers into your account and region (PublishLayerVersion); prints the ARNs
	NODE_NO_WARNINGS=1 npx tsx scripts/publish-layer.ts \
	  $(foreach f,$(FLAVOURS),--flavour $(f)) \
	  $(if $(ORGANIZATION),--organization $(ORGANIZATION)) \
	  $(if $(ACCOUNTS),--accounts $(ACCOUNTS)) \
	  $(if $(JSON),--json)

test: $(NODE_MODULES) lint typecheck build packages ## Lint, typecheck, build and run every test: unit, integration, conformance
	@mkdir -p .tmp
	moto_bin="$$(scripts/ensure-moto.sh)"; status=0; \
	MOTO_SERVER="$$moto_bin" npx vitest run --reporter=default --reporter=json \
	  --outputFile.json=.tmp/vitest-report.json || status=$$?; \
	node scripts/test-summary.mjs .tmp/vitest-report.json; exit $$status

test-unit: $(NODE_MODULES) ## The unit tests only: pure logic, no moto, no build (seconds)
	npx vitest run --project unit

demo: $(NODE_MODULES) build ## The whole system locally: sidecar + inference + rotation mid-traffic, no AWS account
	moto_bin="$$(scripts/ensure-moto.sh)"; \
	MOTO_SERVER="$$moto_bin" NODE_NO_WARNINGS=1 npx tsx --conditions=@secret-sidecar/source tools/demo/run.ts

bench: $(NODE_MODULES) build ## Benchmarks next to AWS's agent -> docs/BENCHMARKS.md + docs/benchmarks.svg (~10 min; the agent's first build ~10 min)
	moto_bin="$$(scripts/ensure-moto.sh)"; \
	agent_bin="$$(scripts/ensure-agent.sh)" || agent_bin=""; \
	scripts/ensure-rie.sh >/dev/null || true; \
	MOTO_SERVER="$$moto_bin" SECRET_SIDECAR_AGENT_BIN="$$agent_bin" NODE_NO_WARNINGS=1 \
	  npx tsx --conditions=@secret-sidecar/source tools/bench/run.ts

clean: ## Remove build output
	rm -rf dist cdk.out coverage cdk/assets client/dist cdk/dist

# cdk.json's app command runs the build first, so `npx cdk deploy` never ships stale bundles.
synth: $(NODE_MODULES) ## cdk synth (builds first), offline, with cdk-nag AwsSolutions checks
	npx cdk synth --quiet

deploy: $(NODE_MODULES) ## cdk deploy the whole system (builds first; needs AWS credentials)
	npx cdk deploy --all
