# cohort: one entry point for set-up, build and tests on a fresh Debian 12 machine.
#   make devnet  install what is missing, build, and run the whole network on this machine (a report at the end;
#                DEVNET_ARGS="--windows 20 --miners 6" for other shapes: cohort devnet --help)
#   make test    install what is missing, build, lint, typecheck and run every test suite
#   make build   install and build (native engine + TypeScript)
#   make setup   system packages (libtorch, OpenBLAS, cmake, nats-server, Ceph RADOS Gateway) and pnpm only
SHELL := /bin/bash
.DEFAULT_GOAL := test
.PHONY: test devnet setup deps native build lint gen clean

setup:
	@scripts/setup.sh

deps: setup
	@pnpm install --frozen-lockfile --reporter=silent

native: deps
	@node native/scripts/build-native.mjs

build: native
	@pnpm exec tsc -b
	@chmod +x services/*/dist/main.js

lint: build
	@pnpm exec eslint --max-warnings 0 .
	@pnpm exec prettier --check --log-level warn .
	@node scripts/proto-lint.mjs

test: build lint
	@node scripts/test.mjs

devnet: build
	@node services/cli/dist/main.js devnet $(DEVNET_ARGS)

gen: deps
	@node scripts/proto-gen.mjs

clean:
	rm -rf native/build proto/dist services/*/dist native/dist test/dist
