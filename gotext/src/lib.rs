//! Go's text conventions, for Rust code whose output users compare with Go programs': the
//! scheduler guests (reasons quoted with `%q`), the host that stands in for a Go one (JSON and
//! error texts a Go host would produce), and the Agones policy library (Go error messages).
//!
//! Written from Go's documented behaviour and checked against Go's output; no Go code is copied.
//!
//! ```
//! assert_eq!(gotext::quote::quoted("a\u{1}\"b"), r#""a\x01\"b""#);
//! let mut json = String::new();
//! gotext::json::push_string(&mut json, "<a&b>");
//! assert_eq!(json, r#""\u003ca\u0026b\u003e""#);
//! ```
#![deny(missing_docs)]

pub mod json;
pub mod quote;
