//! Agones WASM autoscaler plugin (Extism).
