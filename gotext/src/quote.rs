//! Go's `%q` / `strconv.Quote`, so reasons read exactly as the Go plugins' do.
//!
//! Rust's `{:?}` agrees with Go on printable ASCII, `\\`, `\"`, `\n`, `\t`, but not on other control
//! characters (`\u{1}` vs Go's `\x01`) nor on several non-ASCII characters (`docs/measured.md` pitfall 8).
//! Node names and most patterns are plain ASCII, so that case is a single copy.

/// Appends `s` quoted as Go's `strconv.Quote` does.
///
/// Non-printable characters are escaped as Go does: `\a \b \f \n \r \t \v`, `\xNN` below U+0080,
/// `\uNNNN` and `\UNNNNNNNN` above. Printability follows Go's `unicode.IsPrint` for every assigned
/// character class that matters here (controls, format characters, separators, private use);
/// unassigned code points, which Go also escapes, are written as they are.
pub fn push_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
    } else {
        for c in s.chars() {
            push_char(out, c);
        }
    }
    out.push('"');
}

/// `s` quoted as Go's `strconv.Quote` does (see [`push_quoted`]).
///
/// ```
/// assert_eq!(gotext::quote::quoted("kubecon-.*"), r#""kubecon-.*""#);
/// assert_eq!(gotext::quote::quoted("a\u{1}\"b"), r#""a\x01\"b""#);
/// ```
pub fn quoted(s: &str) -> String {
    let mut out = String::new();
    push_quoted(&mut out, s);
    out
}

fn push_char(out: &mut String, c: char) {
    use core::fmt::Write;
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
        c if is_printable(c) => out.push(c),
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

/// Code points Go's `unicode.IsPrint` rejects, besides controls: spaces other than U+0020 (Z*),
/// format characters (Cf) and private use (Co). Sorted, inclusive ranges.
const NOT_PRINTABLE: &[(u32, u32)] = &[
    (0x00a0, 0x00a0),
    (0x00ad, 0x00ad),
    (0x0600, 0x0605),
    (0x061c, 0x061c),
    (0x06dd, 0x06dd),
    (0x070f, 0x070f),
    (0x0890, 0x0891),
    (0x08e2, 0x08e2),
    (0x1680, 0x1680),
    (0x180e, 0x180e),
    (0x2000, 0x200f),
    (0x2028, 0x202f),
    (0x205f, 0x2064),
    (0x2066, 0x206f),
    (0x3000, 0x3000),
    (0xd800, 0xf8ff),
    (0xfeff, 0xfeff),
    (0xfff9, 0xfffb),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x1343f),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
    (0xf0000, 0x10ffff),
];

fn is_printable(c: char) -> bool {
    if c.is_control() {
        return false;
    }
    let cp = c as u32;
    if cp < 0xa0 {
        return true;
    }
    let i = NOT_PRINTABLE.partition_point(|&(_, hi)| hi < cp);
    NOT_PRINTABLE.get(i).is_none_or(|&(lo, _)| lo > cp)
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn matches_go_strconv_quote() {
        // Expected strings are Go's own output for the same input.
        let cases = [
            ("kubecon-1", r#""kubecon-1""#),
            ("", r#""""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("\u{7}\u{8}\u{c}\n\r\t\u{b}", r#""\a\b\f\n\r\t\v""#),
            ("\u{0}\u{1}\u{1f}\u{7f}", r#""\x00\x01\x1f\x7f""#),
            ("\u{80}\u{9f}", r#""\u0080\u009f""#),
            ("é日本", "\"é日本\""),
            ("\u{a0}x\u{200b}\u{feff}", r#""\u00a0x\u200b\ufeff""#),
            ("\u{e000}", r#""\ue000""#),
            ("\u{10ffff}", r#""\U0010ffff""#),
            ("(?i)\u{212a}ubecon", "\"(?i)\u{212a}ubecon\""),
        ];
        for (input, want) in cases {
            assert_eq!(quoted(input), want, "{input:?}");
        }
    }
}
