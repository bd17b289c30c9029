# See README.md. `make run` is the main job, `make test` the test suite.
.PHONY: all build test
all: build
build:
	rustup target add wasm32-wasip1
	cargo build --release --target wasm32-wasip1 -p regex-v1 -p regex-v2
test:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
