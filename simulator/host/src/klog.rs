//! klog output as the production host prints it (docs/abi.md §3.3.8), captured instead of written to
//! stderr.

use crate::gofmt::quote_into;
use std::fmt;

/// The severity of a captured log line. The host only ever prints info and error lines: warning
/// and fatal messages from the guest are dropped (docs/abi.md §3.3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// `klog.Info`/`InfoS`: the header starts with `I`.
    Info,
    /// `klog.Error`/`ErrorS`: the header starts with `E`.
    Error,
}

/// One line as klog would print it, without the `I0102 15:04:05.000000 pid file:line] ` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogLine {
    /// Info or error.
    pub severity: Severity,
    /// The text after the header, e.g. `"execute Filter on RegexScheduling plugin" pod="p"` or a
    /// multi-line `"failed postbind" err=<…>` block. No trailing newline.
    pub text: String,
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self.severity {
            Severity::Info => 'I',
            Severity::Error => 'E',
        };
        write!(f, "{letter}] {}", self.text)
    }
}

/// `klog.Info(msg)` / `klog.Error(msg)`: the message as it is (klog adds a newline if missing).
pub(crate) fn unstructured(severity: Severity, msg: &str) -> LogLine {
    LogLine {
        severity,
        text: msg.strip_suffix('\n').unwrap_or(msg).to_string(),
    }
}

/// `klog.InfoS(msg, kvs…)` / `klog.ErrorS(err, msg, kvs…)`: the quoted message, then ` key=value`
/// pairs (an `err` pair first when `err` is set). A missing last value is `"(MISSING)"`; a repeated
/// key keeps its last value (an identical repeat is dropped).
pub(crate) fn structured(
    severity: Severity,
    err: Option<&str>,
    msg: &str,
    kvs: &[String],
) -> LogLine {
    let mut text = String::with_capacity(msg.len() + 16 * kvs.len() + 2);
    quote_into(&mut text, msg);
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(kvs.len() / 2 + 1);
    let mut push = |k: &str, v: &str| {
        let mut formatted = String::new();
        format_value(&mut formatted, v);
        if let Some(i) = pairs.iter().position(|(pk, _)| pk == k) {
            if pairs[i].1 == formatted {
                return;
            }
            pairs.remove(i);
        }
        pairs.push((k.to_string(), formatted));
    };
    if let Some(e) = err {
        push("err", e);
    }
    for chunk in kvs.chunks(2) {
        let v = chunk.get(1).map_or("(MISSING)", String::as_str);
        push(&chunk[0], v);
    }
    for (k, v) in pairs {
        text.push(' ');
        text.push_str(&k);
        text.push_str(&v);
    }
    LogLine { severity, text }
}

/// `=<quoted>` for a one-line value, the `=<\n\tline\n >` block for a multi-line one.
fn format_value(out: &mut String, v: &str) {
    if !v.contains('\n') {
        out.push('=');
        quote_into(out, v);
        return;
    }
    out.push_str("=<\n");
    let mut rest = v;
    while let Some(i) = rest.find('\n') {
        out.push('\t');
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
    }
    if rest.is_empty() {
        out.push_str(" >");
    } else {
        out.push('\t');
        out.push_str(rest);
        out.push_str("\n >");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kvs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn structured_lines() {
        let l = structured(Severity::Info, None, "hello", &kvs(&["err", "unhandled"]));
        assert_eq!(l.text, r#""hello" err="unhandled""#);
        let l = structured(Severity::Info, None, "m", &kvs(&["a", "1", "b"]));
        assert_eq!(l.text, r#""m" a="1" b="(MISSING)""#);
        let l = structured(
            Severity::Info,
            None,
            "m",
            &kvs(&["a", "1", "b", "2", "a", "3"]),
        );
        assert_eq!(l.text, r#""m" b="2" a="3""#);
        let l = structured(Severity::Info, None, "m", &kvs(&["a", "1", "a", "1"]));
        assert_eq!(l.text, r#""m" a="1""#);
    }

    #[test]
    fn multi_line_error() {
        let e = "wasm: postbind error: panic: name is bad\n\nwasm error: unreachable\nwasm stack trace:\n\tmain.runtime._panic(i32,i32)\n\tmain.postbind()";
        let l = structured(Severity::Error, Some(e), "failed postbind", &[]);
        assert_eq!(
            l.text,
            "\"failed postbind\" err=<\n\twasm: postbind error: panic: name is bad\n\t\n\twasm error: unreachable\n\twasm stack trace:\n\t\tmain.runtime._panic(i32,i32)\n\t\tmain.postbind()\n >"
        );
        assert_eq!(
            l.to_string().lines().next(),
            Some("E] \"failed postbind\" err=<")
        );
    }

    #[test]
    fn unstructured_lines() {
        assert_eq!(unstructured(Severity::Info, "hi\n").text, "hi");
        assert_eq!(unstructured(Severity::Error, "hi").text, "hi");
    }
}
