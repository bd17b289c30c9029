//! Go's text conventions the host's output follows: `strconv.Quote` and `encoding/json` strings.

use std::fmt::Write as _;

/// Appends `s` quoted like Go's `strconv.Quote`: printable runes as they are, `\a \b \f \n \r \t
/// \v \\ \"` escaped, other non-printable runes as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub(crate) fn quote_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
}

/// `strconv.Quote(s)`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s);
    out
}

/// An approximation of Go's `unicode.IsPrint`: everything but control characters, separators other
/// than the ASCII space, format characters and unassigned/private code points in common ranges.
/// (Go uses the full Unicode tables; the differences are confined to rare code points.)
fn is_print(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x206F | 0xD800..=0xDFFF | 0xE000..=0xF8FF | 0xFEFF | 0xFFF0..=0xFFFB
        | 0xFFFE | 0xFFFF | 0xE0000..=0xE007F | 0xF0000..=0x10FFFF)
}

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it (HTML-safe: `<`, `>`, `&`,
/// U+2028 and U+2029 are escaped as `\u003c` etc.).
pub(crate) fn json_string_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON array of strings as Go writes a `[]string` (`[]` when empty).
pub(crate) fn json_string_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string_into(&mut out, s.as_ref());
    }
    out.push(']');
    out
}

/// A JSON object as Go writes a `map[string]int`: keys sorted, duplicate keys collapsed (last
/// wins), `{}` when empty.
pub(crate) fn json_int_map<'a>(entries: impl IntoIterator<Item = (&'a str, i64)>) -> String {
    let map: std::collections::BTreeMap<&str, i64> = entries.into_iter().collect();
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string_into(&mut out, k);
        let _ = write!(out, ":{v}");
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote("hello"), r#""hello""#);
        assert_eq!(quote("a\"b\\c\nd\te\u{1}"), r#""a\"b\\c\nd\te\x01""#);
        assert_eq!(quote("héllo ✓"), "\"héllo ✓\"");
        assert_eq!(quote("\u{200b}\u{7f}"), r#""\u200b\x7f""#);
    }

    #[test]
    fn json_like_go() {
        assert_eq!(json_string_array::<&str>(&[]), "[]");
        assert_eq!(
            json_string_array(&["a<b>&c", "d\"\u{1}"]),
            r#"["a\u003cb\u003e\u0026c","d\"\u0001"]"#
        );
        assert_eq!(
            json_int_map([("b", 2), ("a", 1), ("b", 3)]),
            r#"{"a":1,"b":3}"#
        );
        assert_eq!(json_int_map([]), "{}");
    }
}
