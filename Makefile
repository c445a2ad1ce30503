# Everyday commands: thin wrappers over what the README documents.
.PHONY: run test lint fmt build-lambdas deploy bench local-aws local-aws-stop

run:            ## the local server: every endpoint on one port, codes printed (dev profile: the test suite's build)
	cargo run --bin local-api

test:           ## the whole test suite (installs and starts what it needs)
	bash scripts/test.sh

lint:           ## formatting, clippy, the SAM template
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	.venv/bin/cfn-lint template.yaml

fmt:
	cargo fmt --all

build-lambdas:  ## release bootstraps of every function, for arm64 (cargo-lambda and zig)
	cargo lambda build --release --arm64

deploy:         ## build with SAM and deploy (guided the first time)
	sam build && sam deploy --guided

bench:          ## the benchmark: sizes, cold starts, memory, latency, round trips, throughput, cost
	bash scripts/bench.sh

local-aws:      ## a local AWS (moto) for cargo lambda watch: tables, contacts, secrets, .env.local
	bash scripts/local-aws.sh

local-aws-stop: ## stop it
	bash scripts/local-aws.sh stop
