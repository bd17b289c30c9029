//! Go's `encoding/json`: how it writes strings, names JSON types, and words syntax errors.

use core::fmt::Write as _;

use serde_json::Value;

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: HTML-safe (`<`, `>`, `&`,
/// U+2028 and U+2029 as `\u003c` …), `\b \f \n \r \t` short escapes, other controls as `\u00XX`.
pub fn push_string(out: &mut String, s: &str) {
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

/// The word Go's decoder uses for a JSON value's type in `cannot unmarshal <type> into …`.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A byte as Go's JSON scanner quotes it in errors: `'x'`, `'\''`, `'"'`, or `'\xNN'`.
pub fn char_literal(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        0x20..=0x7e => format!("'{}'", c as char),
        _ => format!("'\\x{c:02x}'"),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Go's `json.Unmarshal` syntax-error text for `bytes`, given the error serde_json reported on
/// them. Covers what Go users meet in practice — empty or truncated input, a value that cannot
/// start with its first character, a misspelt `null`/`true`/`false`, text after the top-level
/// value — and otherwise falls back to serde's text.
///
/// ```
/// let text = |s: &str| gotext::json::syntax_error(s.as_bytes(), &serde_json::from_str::<serde_json::Value>(s).unwrap_err());
/// assert_eq!(text(""), "unexpected end of JSON input");
/// assert_eq!(text("{oops"), "invalid character 'o' looking for beginning of object key string");
/// assert_eq!(text("nul"), "unexpected end of JSON input");
/// assert_eq!(text("nulx"), "invalid character 'x' in literal null (expecting 'l')");
/// assert_eq!(text("x"), "invalid character 'x' looking for beginning of value");
/// assert_eq!(text("{} {}"), "invalid character '{' after top-level value");
/// ```
pub fn syntax_error(bytes: &[u8], serde_error: &serde_json::Error) -> String {
    let Some(i) = bytes.iter().position(|&b| !is_space(b)) else {
        return "unexpected end of JSON input".to_owned();
    };
    let c = bytes[i];
    if !matches!(
        c,
        b'{' | b'[' | b'"' | b'-' | b't' | b'f' | b'n' | b'0'..=b'9'
    ) {
        return format!(
            "invalid character {} looking for beginning of value",
            char_literal(c)
        );
    }
    let first_key = bytes[i + 1..].iter().find(|&&b| !is_space(b));
    if let (b'{', Some(&k)) = (c, first_key)
        && k != b'"'
        && k != b'}'
    {
        return format!(
            "invalid character {} looking for beginning of object key string",
            char_literal(k)
        );
    }
    for literal in ["null", "true", "false"] {
        if c != literal.as_bytes()[0] {
            continue;
        }
        for (k, want) in literal.bytes().enumerate().skip(1) {
            match bytes.get(i + k) {
                None => return "unexpected end of JSON input".to_owned(),
                Some(&got) if got != want => {
                    return format!(
                        "invalid character {} in literal {literal} (expecting {})",
                        char_literal(got),
                        char_literal(want)
                    );
                }
                Some(_) => {}
            }
        }
    }
    if serde_error.is_eof() {
        return "unexpected end of JSON input".to_owned();
    }
    if serde_error.to_string().starts_with("trailing characters") {
        let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
        if values.next().is_some_and(|r| r.is_ok()) {
            let end = values.byte_offset();
            if let Some(&t) = bytes[end..].iter().find(|&&b| !is_space(b)) {
                return format!(
                    "invalid character {} after top-level value",
                    char_literal(t)
                );
            }
        }
    }
    serde_error.to_string()
}
