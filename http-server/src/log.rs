//! Request log lines, with everything that comes from a client escaped.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

/// Text a handler adds to its request's log line, after the status (e.g. `refused: path
/// traversal` or `fleet=default/simple -> replicas=3`). Insert it into the response's extensions;
/// it is escaped like the rest of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogNote(pub String);

/// `s` with control characters (C0, DEL, C1), Unicode bidi/format controls, `"` and `\`
/// escaped Rust-style (`\u{1b}`, `\r`, `\n`, `\"`, `\\`), so text from a client can neither forge
/// a log line nor drive the terminal. Borrowed when nothing needs escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    is_terminal_control(c) || matches!(c, '"' | '\\')
}

/// Control characters (C0, DEL, C1) and the Unicode bidi/format controls that reorder or hide
/// text: what must never reach a terminal raw.
fn is_terminal_control(c: char) -> bool {
    c.is_control()
        // bidi embeddings/overrides/isolates, zero-width and line/paragraph separators
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` with only the characters [`escape`] escapes for the terminal's sake (controls, bidi and
/// format characters: `\u{1b}`, `\r`, `\n`, `\t`, `\u{202e}`), `"` and `\` left as they are: for
/// tables and messages that print names and reasons from untrusted input (the simulator's
/// `run` output), where quotes and backslashes are content. Borrowed when nothing needs escaping.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_terminal_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_terminal_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `PEER "METHOD TARGET" STATUS[ NOTE] (LATENCY ms)`.
pub(crate) fn line(
    peer: &str,
    method: &str,
    target: &str,
    status: u16,
    note: Option<&str>,
    latency: Duration,
) -> String {
    let mut s = format!("{peer} \"{} {}\" {status}", escape(method), escape(target));
    if let Some(note) = note.filter(|n| !n.is_empty()) {
        s.push(' ');
        s.push_str(&escape(note));
    }
    let _ = write!(s, " ({:.2} ms)", latency.as_secs_f64() * 1000.0);
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn escapes_what_could_forge_a_line() {
        assert!(matches!(escape("/fleet_score.wasm?v=1"), Cow::Borrowed(_)));
        assert_eq!(
            escape("\u{1b}[2J\r\nPod default/fake: scheduled"),
            "\\u{1b}[2J\\r\\nPod default/fake: scheduled"
        );
        assert_eq!(
            escape("a\"b\\c\td\u{7f}\u{85}"),
            "a\\\"b\\\\c\\td\\u{7f}\\u{85}"
        );
        assert_eq!(escape("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(escape("naïve ünïcode"), "naïve ünïcode");
    }

    #[test]
    fn escape_controls_leaves_quotes_and_backslashes() {
        assert!(matches!(
            escape_controls(r#"regex "\d+""#),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("\u{1b}[2J\r\nPod \"default/fake\": \\d\u{202e}"),
            "\\u{1b}[2J\\r\\nPod \"default/fake\": \\d\\u{202e}"
        );
    }

    #[test]
    fn formats_a_line() {
        let l = line(
            "127.0.0.1:5",
            "GET",
            "/x",
            403,
            Some("refused: \u{1b}[2J\nx"),
            Duration::from_micros(1500),
        );
        assert_eq!(
            l,
            "127.0.0.1:5 \"GET /x\" 403 refused: \\u{1b}[2J\\nx (1.50 ms)"
        );
        assert!(!l.contains('\n') && !l.contains('\u{1b}'));
    }
}
