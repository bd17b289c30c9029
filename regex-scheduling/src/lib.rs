//! The RegexScheduling decision, shared by the `v1` and `v2` guests so both give the same answers
//! with the same reasons as the Go plugin they replace (wasmkwokwizardry/kubecon-na-2024):
//!
//! - a pod without the [`ANNOTATION`] may go anywhere;
//! - the annotation is a Go `regexp` pattern, matched unanchored against the node name
//!   (`regexp.MatchString`); an empty pattern matches every node;
//! - an invalid pattern is an Error: `failed to compile regex "<pattern>": <why>`;
//! - a node whose name does not match is Unschedulable:
//!   `node "<node>" does not match regex "<pattern>"`.
//!
//! Both quoted parts are quoted as Go's `%q` does ([`common::quote`]).
#![deny(missing_docs)]

use common::Status;
use common::quote::push_quoted;
pub use common::regex::{MAX_PATTERN_LEN, Regex, RegexError};

/// The pod annotation holding the pattern.
pub const ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/regex";

/// Compiles `pattern`, or returns the Error status the plugin answers with.
///
/// ```
/// let err = regex_scheduling::compile("kube(con").unwrap_err();
/// assert!(err.reason().starts_with(r#"failed to compile regex "kube(con": "#));
/// ```
pub fn compile(pattern: &str) -> Result<Regex, Status> {
    Regex::new(pattern).map_err(|e| match e {
        // Quoting a huge pattern into the reason would copy it into every event and log line.
        RegexError::TooLong { len } => Status::error(format!(
            "regex annotation {ANNOTATION} is {len} bytes long, more than the {MAX_PATTERN_LEN} bytes this plugin accepts"
        )),
        RegexError::Invalid(why) => {
            let mut reason = String::with_capacity(pattern.len() + why.len() + 32);
            reason.push_str("failed to compile regex ");
            push_quoted(&mut reason, pattern);
            reason.push_str(": ");
            reason.push_str(&why);
            Status::error(reason)
        }
    })
}

/// Success if `node` matches `regex`, else the Unschedulable status naming both.
///
/// ```
/// let re = regex_scheduling::compile("kubecon-.*").unwrap();
/// assert!(regex_scheduling::check(&re, "kubecon-1").is_ok());
/// let no = regex_scheduling::check(&re, "node-default").unwrap_err();
/// assert_eq!(no.reason(), r#"node "node-default" does not match regex "kubecon-.*""#);
/// ```
pub fn check(regex: &Regex, node: &str) -> Result<(), Status> {
    if regex.is_match(node) {
        return Ok(());
    }
    let mut reason = String::with_capacity(node.len() + regex.as_str().len() + 32);
    reason.push_str("node ");
    push_quoted(&mut reason, node);
    reason.push_str(" does not match regex ");
    push_quoted(&mut reason, regex.as_str());
    Err(Status::unschedulable(reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::Code;

    #[test]
    fn too_long_patterns_name_the_bound_not_the_pattern() {
        let err = compile(&"a".repeat(5000)).unwrap_err();
        assert_eq!(err.code(), Code::Error);
        assert_eq!(
            err.reason(),
            "regex annotation scheduler.wasmkwokwizardry.io/regex is 5000 bytes long, more than the 4096 bytes this plugin accepts"
        );
    }

    #[test]
    fn reasons_quote_like_go() {
        let re = compile("a\"b").unwrap();
        let err = check(&re, "node\u{1}").unwrap_err();
        assert_eq!(err.code(), Code::Unschedulable);
        assert_eq!(
            err.reason(),
            r#"node "node\x01" does not match regex "a\"b""#
        );
    }
}
