//! Go's `regexp` syntax (RE2) on a Rust engine, for WebAssembly guests that must accept exactly
//! the patterns a Go program accepts and match them the way Go does.
//!
//! [`Regex::new`] behaves like Go's `regexp.Compile`: the same grammar (flags `i m s U`, `\Q…\E`,
//! octal and hex escapes, `(?P<name>…)` and `(?<name>…)`, POSIX and Unicode classes, ASCII
//! `\d \w \s \b`), the same limits (repeat counts up to 1000, nesting depth up to 1000, Go's
//! size check) and the same error texts. [`Regex::is_match`] is Go's `MatchString`: an
//! unanchored search that reports whether the pattern matches anywhere.
//!
//! The parser reproduces Go's `regexp/syntax` parser; the Unicode tables (general categories,
//! scripts, case folding) are generated from the Go release named in `tables.rs`
//! (Unicode 17.0.0, Go 1.27). Matching uses `regex-automata`'s lazy DFA, with its PikeVM as the
//! fallback; the NFA is built without recursion so a 1000-deep pattern fits a 64 KiB stack.
//!
//! One bound is ours, not Go's: patterns longer than [`MAX_PATTERN_LEN`] bytes are rejected, and
//! so are patterns whose automaton would need more than 16 MiB (Go accepts some of those; they
//! cannot be useful for node names and would grow a guest's memory for good).
//!
//! # Example
//!
//! ```
//! use goregex::Regex;
//!
//! let re = Regex::new(r"^kubecon-\d+$").unwrap();
//! assert!(re.is_match("kubecon-1"));
//! assert!(!re.is_match("node-default"));
//!
//! // Go's case folding: K, k and KELVIN SIGN (U+212A) fold together.
//! assert!(Regex::new(r"(?i)\x{212A}UBECON").unwrap().is_match("kubecon"));
//!
//! // Go's rejections, with Go's text.
//! let err = Regex::new("kube**con").unwrap_err();
//! assert_eq!(err.to_string(), "error parsing regexp: invalid nested repetition operator: `**`");
//! ```
#![deny(missing_docs)]

mod class;
mod compile;
mod parse;
mod plan;
mod tables;

use std::fmt;
use std::sync::{Arc, Mutex};

use regex_automata::Input;
use regex_automata::hybrid::dfa::{self as hybrid, DFA};
use regex_automata::nfa::thompson::pikevm::{self, PikeVM};

/// The longest pattern [`Regex::new`] accepts, in bytes. This bound is goregex's, not Go's (Go
/// has none); Kubernetes caps all annotations of an object at 256 KiB together, and a guest's
/// memory never shrinks, so a longer pattern is an [`Error`].
pub const MAX_PATTERN_LEN: usize = 4096;

/// Heap budget of one compiled NFA (goregex's bound; Go allows ~128 MiB of program).
const NFA_SIZE_LIMIT: usize = 16 << 20;

/// Capacity of the lazy DFA's transition cache per [`Regex`] clone.
const DFA_CACHE_CAPACITY: usize = 1 << 20;

/// A compiled Go regular expression.
pub struct Regex {
    pattern: String,
    engine: Arc<Engine>,
    /// Search scratch space. `try_lock` only: a call that finds it taken (re-entrancy, or an
    /// earlier call that trapped while holding it) uses a fresh cache instead of failing.
    cache: Mutex<Option<Caches>>,
}

struct Engine {
    plan: plan::Plan,
    /// Present when the plan needs it.
    automaton: Option<Automaton>,
}

struct Automaton {
    /// `None` when the NFA is too big for the lazy DFA's cache; the PikeVM then does all.
    dfa: Option<DFA>,
    pikevm: PikeVM,
    has_not_word_boundary: bool,
}

struct Caches {
    /// Searches done with these caches; the first few use the PikeVM (see `PIKEVM_FIRST`).
    searches: u32,
    dfa: Option<hybrid::Cache>,
    pikevm: Option<pikevm::Cache>,
}

impl Caches {
    fn new() -> Caches {
        Caches {
            searches: 0,
            dfa: None,
            pikevm: None,
        }
    }
}

/// A fresh lazy DFA costs more to set up (its cache, and its states built on first use) than a
/// few PikeVM searches over a node name, so a new [`Regex`] (or clone) starts with the PikeVM
/// and moves to the DFA after this many searches.
const PIKEVM_FIRST: u32 = 4;

impl Clone for Regex {
    fn clone(&self) -> Regex {
        Regex {
            pattern: self.pattern.clone(),
            engine: Arc::clone(&self.engine),
            cache: Mutex::new(None),
        }
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Regex").field(&self.pattern).finish()
    }
}

impl fmt::Display for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl Regex {
    /// Compiles `pattern` as Go's `regexp.Compile` does.
    ///
    /// # Errors
    ///
    /// Every pattern Go rejects gives an [`Error`] whose text is Go's `err.Error()`. Patterns
    /// longer than [`MAX_PATTERN_LEN`] bytes, or whose automaton would exceed goregex's memory
    /// bound, give an [`Error`] naming that bound.
    pub fn new(pattern: &str) -> Result<Regex, Error> {
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(Error {
                kind: ErrorKind::TooLong(pattern.len()),
            });
        }
        let tree = parse::parse(pattern).map_err(|e| Error {
            kind: ErrorKind::Go {
                code: e.code.text(),
                expr: e.expr,
            },
        })?;
        let plan = plan::plan(&tree);
        let automaton = match plan {
            plan::Plan::Automaton => Some(Automaton::new(&tree)?),
            _ => None,
        };
        Ok(Regex {
            pattern: pattern.to_string(),
            engine: Arc::new(Engine { plan, automaton }),
            cache: Mutex::new(None),
        })
    }

    /// Reports whether the pattern matches anywhere in `haystack`, as Go's `MatchString`.
    pub fn is_match(&self, haystack: &str) -> bool {
        let Some(automaton) = &self.engine.automaton else {
            return self.engine.plan.is_match(haystack).unwrap_or(false);
        };
        match self.cache.try_lock() {
            Ok(mut guard) => automaton.is_match(guard.get_or_insert_with(Caches::new), haystack),
            Err(_) => automaton.is_match(&mut Caches::new(), haystack),
        }
    }

    /// The pattern as given to [`Regex::new`].
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

impl Automaton {
    fn new(tree: &parse::Tree) -> Result<Automaton, Error> {
        let too_big = Error {
            kind: ErrorKind::TooBig,
        };
        let compiled = compile::compile(tree, NFA_SIZE_LIMIT).map_err(|_| too_big.clone())?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .cache_capacity(DFA_CACHE_CAPACITY)
                    .minimum_cache_clear_count(Some(3)),
            )
            .build_from_nfa(compiled.nfa.clone())
            .ok();
        let pikevm = PikeVM::new_from_nfa(compiled.nfa).map_err(|_| too_big)?;
        Ok(Automaton {
            dfa,
            pikevm,
            has_not_word_boundary: compiled.has_not_word_boundary,
        })
    }

    fn is_match(&self, caches: &mut Caches, haystack: &str) -> bool {
        let input = Input::new(haystack).earliest(true);
        caches.searches = caches.searches.saturating_add(1);
        if let Some(dfa) = self.dfa.as_ref().filter(|_| caches.searches > PIKEVM_FIRST) {
            let cache = caches.dfa.get_or_insert_with(|| dfa.create_cache());
            match dfa.try_search_fwd(cache, &input) {
                Ok(None) => return false,
                Ok(Some(m)) => {
                    // Only `\B` can produce an empty match inside a UTF-8 sequence, which Go
                    // (matching runes) never sees; the PikeVM decides those cases.
                    if !self.has_not_word_boundary || haystack.is_char_boundary(m.offset()) {
                        return true;
                    }
                }
                // The cache thrashed (gave up): finish with the PikeVM.
                Err(_) => {}
            }
        }
        let cache = caches
            .pikevm
            .get_or_insert_with(|| self.pikevm.create_cache());
        self.pikevm.is_match(cache, input)
    }
}

/// Why a pattern was rejected.
///
/// Its `Display` is Go's `err.Error()` text exactly for every pattern Go rejects, e.g.
/// ``error parsing regexp: missing closing ]: `[` ``. The two bounds that are goregex's own
/// ([`MAX_PATTERN_LEN`] and the automaton memory bound) have texts that name the bound.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Clone, PartialEq, Eq)]
enum ErrorKind {
    Go { code: &'static str, expr: String },
    TooLong(usize),
    TooBig,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Go { code, expr } => write!(f, "error parsing regexp: {code}: `{expr}`"),
            ErrorKind::TooLong(len) => write!(
                f,
                "error parsing regexp: pattern too long: {len} bytes, goregex accepts at most {MAX_PATTERN_LEN}"
            ),
            ErrorKind::TooBig => write!(
                f,
                "error parsing regexp: expression too large: its automaton exceeds goregex's {} MiB bound",
                NFA_SIZE_LIMIT >> 20
            ),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?})", self.to_string())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync_clone_debug() {
        fn assert_traits<T: Send + Sync + Clone + fmt::Debug>() {}
        assert_traits::<Regex>();
        assert_traits::<Error>();
        let re = Regex::new("kube").unwrap();
        assert_eq!(format!("{re:?}"), r#"Regex("kube")"#);
        assert_eq!(re.clone().as_str(), "kube");
    }

    #[test]
    fn own_bounds_are_named() {
        let long = "a".repeat(MAX_PATTERN_LEN + 1);
        let err = Regex::new(&long).unwrap_err().to_string();
        assert_eq!(
            err,
            "error parsing regexp: pattern too long: 4097 bytes, goregex accepts at most 4096"
        );
        assert!(Regex::new(&"a".repeat(MAX_PATTERN_LEN)).is_ok());
        let err = Regex::new(r"\pL{1000}").unwrap_err().to_string();
        assert!(err.contains("goregex's 16 MiB bound"), "{err}");
    }

    #[test]
    fn held_cache_is_not_fatal() {
        let re = Regex::new(r"^k\w+-\d$").unwrap();
        let guard = re.cache.lock();
        assert!(re.is_match("kube-1"));
        assert!(!re.is_match("node-1"));
        drop(guard);
        for _ in 0..10 {
            assert!(re.is_match("kube-1"));
        }
    }

    #[test]
    fn not_word_boundary_inside_a_character() {
        // Go matches runes: between the two bytes of "é" there is no position.
        let re = Regex::new(r"\B").unwrap();
        for _ in 0..8 {
            assert!(!re.is_match("a\u{e9}b"));
            assert!(re.is_match("a\u{e9}"));
        }
    }
}
