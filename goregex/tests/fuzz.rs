//! Property tests (proptest) over arbitrary and grammar-shaped patterns.
//!
//! `cargo test` runs proptest's default number of cases (256, or `PROPTEST_CASES`). The
//! million-case run reported in RATIONALE.md was:
//! `PROPTEST_CASES=1000000 cargo test --release -p goregex --test fuzz -- fuzz_parser`.

use goregex::{MAX_PATTERN_LEN, Regex};
use proptest::prelude::*;

/// Pieces that exercise every corner of Go's grammar, valid or not.
const PIECES: &[&str] = &[
    "a",
    "b",
    "k",
    "K",
    "s",
    "-",
    "0",
    "1",
    "_",
    " ",
    ".",
    "^",
    "$",
    "|",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "*",
    "+",
    "?",
    "\\",
    ":",
    "<",
    ">",
    "P",
    "=",
    "'",
    "!",
    ",",
    "\n",
    "\u{17F}",
    "\u{212A}",
    "\u{E9}",
    "\u{3B1}",
    "\u{3A3}",
    "\u{DF}",
    "(?:",
    "(?i)",
    "(?-i)",
    "(?s)",
    "(?m)",
    "(?U)",
    "(?i:",
    "(?P<n>",
    "(?<n>",
    "(?P<",
    "(?x)",
    "(?u)",
    "(?-u:",
    "[^",
    "[:alpha:]",
    "[:^word:]",
    "[[:digit:]]",
    "[:foo:]",
    "\\d",
    "\\w",
    "\\s",
    "\\b",
    "\\B",
    "\\D",
    "\\W",
    "\\S",
    "\\pL",
    "\\PL",
    "\\p{Greek}",
    "\\p{^L}",
    "\\p{Foo}",
    "\\p{",
    "\\p",
    "\\Q",
    "\\E",
    "\\055",
    "\\0",
    "\\101",
    "\\x41",
    "\\x{212A}",
    "\\x{10FFFF}",
    "\\x{110000}",
    "\\x{",
    "\\x",
    "\\z",
    "\\A",
    "\\C",
    "\\Z",
    "\\8",
    "\\1",
    "\\<",
    "\\-",
    "{2}",
    "{0}",
    "{1,3}",
    "{2,}",
    "{1000}",
    "{1001}",
    "{3,2}",
    "{,2}",
    "{01}",
    "*?",
    "+?",
    "??",
    "&&",
    "--",
    "a-z",
    "z-a",
];

fn piece_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..24).prop_map(|v| v.concat())
}

/// Grammar-shaped patterns: mostly valid, nested, with the odd broken piece.
fn grammar() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => prop::sample::select(&["a", "b", "k", "-", "0", "\u{212A}", "\u{17F}", "\u{E9}", "."][..]).prop_map(str::to_string),
        2 => prop::sample::select(&["\\d", "\\w", "\\s", "\\b", "\\B", "\\pL", "\\p{Greek}", "\\PL", "\\Qa.b\\E", "\\055", "\\x{6B}", "^", "$", "\\z", "\\A"][..]).prop_map(str::to_string),
        2 => prop::collection::vec(prop::sample::select(&["a", "b-k", "\\d", "[:alpha:]", "\\pL", "-", "]", "^", "\u{212A}", "s"][..]), 0..4)
            .prop_map(|v| format!("[{}]", v.concat())),
        1 => prop::sample::select(PIECES).prop_map(str::to_string),
    ];
    atom.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| v.concat()),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.join("|")),
            (
                prop::sample::select(&["(", "(?:", "(?i:", "(?s:", "(?P<n>", "(?<n>", "(?U:"][..]),
                inner.clone()
            )
                .prop_map(|(o, e)| format!("{o}{e})")),
            (
                inner.clone(),
                prop::sample::select(
                    &[
                        "*", "+", "?", "{2}", "{0,3}", "{2,}", "*?", "{0}", "{1000}", "**"
                    ][..]
                )
            )
                .prop_map(|(e, r)| format!("(?:{e}){r}")),
            (
                prop::sample::select(&["(?i)", "(?m)", "(?s)", "(?U)", "(?-i)"][..]),
                inner
            )
                .prop_map(|(f, e)| format!("{f}{e}")),
        ]
    })
}

fn haystacks() -> impl Strategy<Value = Vec<String>> {
    let ch = prop::sample::select(
        &[
            'a', 'b', 'k', 'K', 's', '-', '0', '_', ' ', '\n', '\u{17F}', '\u{212A}', '\u{E9}',
            '\u{3B1}',
        ][..],
    );
    prop::collection::vec(
        prop::collection::vec(ch, 0..8).prop_map(|v| v.into_iter().collect()),
        1..4,
    )
}

fn any_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        3 => piece_soup(),
        5 => grammar(),
    ]
}

/// The checks every pattern must pass: no panic; errors in Go's format; a match answer that
/// does not depend on which engine gives it (fresh Regex: PikeVM, warmed: lazy DFA).
fn check(pattern: &str, hays: &[String]) -> Result<(), TestCaseError> {
    match Regex::new(pattern) {
        Err(e) => {
            let text = e.to_string();
            prop_assert!(text.starts_with("error parsing regexp: "), "{text}");
            prop_assert_eq!(Regex::new(pattern).err(), Some(e));
        }
        Ok(re) => {
            prop_assert!(pattern.len() <= MAX_PATTERN_LEN);
            prop_assert_eq!(re.as_str(), pattern);
            let warm = re.clone();
            for _ in 0..6 {
                warm.is_match("");
            }
            for h in hays {
                let fresh = re.clone().is_match(h);
                prop_assert_eq!(
                    fresh,
                    warm.is_match(h),
                    "pattern {:?} haystack {:?}",
                    pattern,
                    h
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_parser(pattern in any_pattern(), hays in haystacks()) {
        check(&pattern, &hays)?;
    }

    /// On a subset where Go's and Rust's syntax and semantics coincide (ASCII literals and
    /// classes, `.`, repetition, alternation, `^`/`$`), goregex agrees with the `regex` crate.
    #[test]
    fn agrees_with_regex_crate_on_common_subset(
        parts in prop::collection::vec(
            prop::sample::select(&["a", "b", "c", ".", "[ab]", "[^a]", "(?:a|bc)", "(?:b|)", "a*", "b+", "c?", "(?:ab){1,2}", "[a-c]{0,2}", "^", "$", "|", "(?s:.)", "(?m:^)", "(?m:$)"][..]),
            0..8,
        ),
        hays in prop::collection::vec(
            prop::collection::vec(prop::sample::select(&['a', 'b', 'c', '\n', '\u{E9}'][..]), 0..8)
                .prop_map(|v| v.into_iter().collect::<String>()),
            1..6,
        ),
    ) {
        let pattern = parts.concat();
        let ours = Regex::new(&pattern).unwrap();
        let theirs = regex::Regex::new(&pattern).unwrap();
        for h in &hays {
            prop_assert_eq!(ours.is_match(h), theirs.is_match(h), "pattern {:?} haystack {:?}", pattern, h);
        }
    }

    /// Deep nesting near Go's limit never panics or overflows, and the limit is Go's.
    #[test]
    fn deep_nesting(depth in 1usize..1100, shape in 0usize..3) {
        let p = match shape {
            0 => format!("{}a{}", "(".repeat(depth), ")".repeat(depth)),
            1 => format!("{}a{}", "(?:x|b".repeat(depth), ")".repeat(depth)),
            _ => format!("{}a{}", "(".repeat(depth), ")*".repeat(depth)),
        };
        if p.len() > MAX_PATTERN_LEN {
            prop_assert!(Regex::new(&p).is_err());
            return Ok(());
        }
        // Heights of Go's tree (checked against Go): a capture adds one level, `(?:x|b…)` and
        // `(…)*` two; Go accepts heights up to 1000.
        let height = match shape { 0 => depth + 1, 1 => 2 * depth, _ => 2 * depth + 1 };
        match Regex::new(&p) {
            Ok(re) => {
                prop_assert!(height <= 1000, "accepted height {}", height);
                let bs = if shape == 1 { depth } else { 0 };
                let hay = format!("{}a", "b".repeat(bs));
                prop_assert!(re.is_match(&hay));
            }
            Err(e) => {
                prop_assert!(height > 1000, "rejected height {}", height);
                prop_assert_eq!(e.to_string(), format!("error parsing regexp: expression nests too deeply: `{p}`"));
            }
        }
    }
}
