//! A small JSON reader (RFC 8259) for the two documents the filter reads: its configuration and
//! the metrics answer. Hand-written rather than serde_json for module size: serde's generic
//! visitors pull in float formatting, and the module went from 183 KB to under the 150 KB target
//! without them (see RATIONALE.md). Numbers keep their text; depth is limited; every error says
//! where it is.

use std::collections::BTreeMap;
use std::fmt;

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// A JSON value. Objects keep the last of duplicate keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written (validated against the JSON grammar).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object.
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// A syntax error and its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// Parses one JSON document (surrounding whitespace allowed).
///
/// # Errors
/// Any deviation from the JSON grammar, invalid UTF-8 in a string, or nesting deeper than
/// [`MAX_DEPTH`].
pub fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let mut p = Parser { b: bytes, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != bytes.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.i,
            reason,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn literal(&mut self, word: &'static [u8], v: Json) -> Result<Json, JsonError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut map = BTreeMap::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Object(map));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Object(map));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(self.err("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        // ASCII by construction.
        let text = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
        Ok(Json::Number(text))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid \\u escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // the opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return Err(self.err("unpaired surrogate"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("unpaired surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or_else(|| self.err("unpaired surrogate"))?
                        }
                        _ => return Err(self.err("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8 in string"))
    }
}

/// A JSON number as milliseconds, for `*_seconds` fields: a non-negative decimal (`5`, `0.25`,
/// `1e3`) with millisecond precision (rounded half up). `None` when negative or too large
/// (more than about 584 million years).
pub fn seconds_to_millis(number: &str) -> Option<u64> {
    if let Some(rest) = number.strip_prefix('-') {
        // `-0` (any spelling) is zero; any other negative is refused.
        let mantissa = rest.split(['e', 'E']).next().unwrap_or(rest);
        return mantissa
            .bytes()
            .all(|b| b == b'0' || b == b'.')
            .then_some(0);
    }
    let (mantissa, exp) = match number.find(['e', 'E']) {
        Some(i) => (&number[..i], number[i + 1..].parse::<i32>().ok()?),
        None => (number, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // All digits, as an integer, and the power of ten to apply to reach milliseconds.
    let digits: String = int.chars().chain(frac.chars()).collect();
    let scale = exp
        .checked_add(3)?
        .checked_sub(i32::try_from(frac.len()).ok()?)?;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    if scale >= 0 {
        let mut v: u64 = digits.parse().ok()?;
        for _ in 0..scale {
            v = v.checked_mul(10)?;
        }
        Some(v)
    } else {
        let cut = usize::try_from(-scale).ok()?;
        if cut > digits.len() {
            // Less than half a millisecond.
            return Some(0);
        }
        let (keep, dropped) = digits.split_at(digits.len() - cut);
        let v: u64 = if keep.is_empty() {
            0
        } else {
            keep.parse().ok()?
        };
        Some(v + u64::from(dropped.as_bytes()[0] >= b'5'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Json {
        Json::String(v.into())
    }

    #[test]
    fn values() {
        let v = parse(br#" {"a": [1, -2.5e3, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"], "b": {}, "a2": []} "#).unwrap();
        let Json::Object(m) = v else { panic!() };
        assert_eq!(
            m["a"],
            Json::Array(vec![
                Json::Number("1".into()),
                Json::Number("-2.5e3".into()),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null,
                s("x\"\\/\u{8}\u{c}\n\r\té😀"),
            ])
        );
        assert_eq!(m["b"], Json::Object(BTreeMap::new()));
        assert_eq!(m["a2"], Json::Array(vec![]));
        assert_eq!(parse("\"ü\"".as_bytes()).unwrap(), s("ü"));
        assert_eq!(
            parse(br#"{"k":1,"k":2}"#).unwrap(),
            Json::Object([("k".to_string(), Json::Number("2".into()))].into())
        );
    }

    #[test]
    fn errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "unexpected end of input at byte 0"),
            (b"{", "expected a string key at byte 1"),
            (b"{\"a\" 1}", "expected ':' at byte 5"),
            (b"{\"a\":1,}", "expected a string key at byte 7"),
            (b"[1 2]", "expected ',' or ']' at byte 3"),
            (b"01", "invalid number at byte 2"),
            (b"1.", "invalid number at byte 2"),
            (b"-", "invalid number at byte 1"),
            (b"1e", "invalid number at byte 2"),
            (b"nul", "invalid literal at byte 0"),
            (b"\"abc", "unterminated string at byte 4"),
            (b"\"a\nb\"", "control character in string at byte 3"),
            (b"\"\\x\"", "invalid escape at byte 3"),
            (b"\"\\ud800\"", "unpaired surrogate at byte 7"),
            (b"\"\\ud800\\u0041\"", "unpaired surrogate at byte 13"),
            (b"\"\\u12\"", "invalid \\u escape at byte 5"),
            (b"\"\xff\"", "invalid UTF-8 in string at byte 3"),
            (b"1 2", "trailing characters at byte 2"),
            (b"<html>", "expected a value at byte 0"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse(input).unwrap_err().to_string(),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().reason,
            "nested too deeply"
        );
    }

    #[test]
    fn millis() {
        for (n, want) in [
            ("5", Some(5_000)),
            ("0", Some(0)),
            ("-0", Some(0)),
            ("0.25", Some(250)),
            ("1.0005", Some(1_001)),
            ("1.0004", Some(1_000)),
            ("0.0005", Some(1)),
            ("0.00049", Some(0)),
            ("1e3", Some(1_000_000)),
            ("2.5E-1", Some(250)),
            ("86400", Some(86_400_000)),
            ("-1", None),
            ("-0.5", None),
            ("-0.0e3", Some(0)),
            ("0.00005", Some(0)),
            ("1e30", None),
        ] {
            assert_eq!(seconds_to_millis(n), want, "{n}");
        }
    }
}
