//! Go `regexp` syntax (RE2) on a Rust engine.
