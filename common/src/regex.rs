//! Node-name patterns: compile once, test many names.
//!
//! Users write patterns in Go's `regexp` syntax (the plugins this SDK replaces were written in Go);
//! [`Regex::is_match`] has the semantics of Go's `MatchString`: an unanchored search.
//!
//! The engine behind this interface can change without touching guests; today it is
//! [`goregex`], which parses Go's syntax exactly (Go's grammar, flags, limits, Unicode tables and
//! error texts, e.g. `error parsing regexp: missing closing ]: `[``) and matches with
//! `regex-automata`. Rust's `regex` crate disagrees with Go on real patterns (`\Q…\E`, octal
//! escapes, nested repetition, `[[a-z]--x]`, ASCII `\d`…); see `goregex/RATIONALE.md`.
//!
//! Patterns longer than [`MAX_PATTERN_LEN`] are refused: a guest's linear memory never shrinks, so
//! one huge pattern would cost the instance memory for good (`docs/measured.md` pitfall 6).

use core::fmt;

/// The longest pattern accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 4096;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Regex {
    inner: goregex::Regex,
}

/// Why a pattern could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegexError {
    /// The pattern is longer than [`MAX_PATTERN_LEN`] bytes.
    TooLong {
        /// The pattern's length in bytes.
        len: usize,
    },
    /// The pattern is not valid; the text says why.
    Invalid(String),
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegexError::TooLong { len } => {
                write!(
                    f,
                    "pattern is {len} bytes long, more than the {MAX_PATTERN_LEN} bytes accepted"
                )
            }
            RegexError::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for RegexError {}

impl Regex {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(RegexError::TooLong { len: pattern.len() });
        }
        goregex::Regex::new(pattern)
            .map(|inner| Regex { inner })
            .map_err(|e| RegexError::Invalid(e.to_string()))
    }

    /// Whether the pattern matches anywhere in `haystack` (Go's `MatchString`).
    pub fn is_match(&self, haystack: &str) -> bool {
        self.inner.is_match(haystack)
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        self.inner.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanchored_search_like_go_match_string() {
        let re = Regex::new("kubecon-.*").unwrap();
        assert!(re.is_match("kubecon-1"));
        assert!(re.is_match("eu-kubecon-2"));
        assert!(!re.is_match("node-default"));
        assert_eq!(re.as_str(), "kubecon-.*");
        assert!(Regex::new("").unwrap().is_match("anything"));
    }

    #[test]
    fn too_long_and_invalid_patterns_are_errors() {
        let long = "a".repeat(MAX_PATTERN_LEN + 1);
        assert_eq!(
            Regex::new(&long).unwrap_err(),
            RegexError::TooLong { len: 4097 }
        );
        assert_eq!(
            RegexError::TooLong { len: 4097 }.to_string(),
            "pattern is 4097 bytes long, more than the 4096 bytes accepted"
        );
        assert_eq!(
            Regex::new("[").unwrap_err(),
            RegexError::Invalid("error parsing regexp: missing closing ]: `[`".into())
        );
        // Go syntax, not Rust's.
        assert!(Regex::new(r"\Qa.b\E").unwrap().is_match("xa.by"));
        assert!(!Regex::new(r"\Qa.b\E").unwrap().is_match("axb"));
        assert!(Regex::new("kube**con").is_err());
    }
}
