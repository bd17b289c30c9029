//! Small re-statements of Go standard-library behaviour that Agones' results depend on: string
//! quoting in error messages, `strconv.Atoi`, `time.ParseDuration`, `sort.Slice`'s exact element
//! order, `net/url` parsing and `time` arithmetic in a zone. Written from the documented behaviour
//! (and checked against the vectors); no Go code is copied.

pub mod sort;
pub mod time;
pub mod url;

/// Go's `strconv.Quote`: a double-quoted string with Go escapes.
pub use gotext::quote::quoted as quote;

/// Go's `time.quote` (used by `time.ParseDuration` errors): `"` + s + `"`, escaping `"`, `\` and
/// bytes outside printable ASCII as `\xNN`.
pub fn time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Why `atoi` failed, worded as Go's `strconv.NumError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtoiError {
    /// Not a base-10 integer.
    Syntax,
    /// Outside the 64-bit range.
    Range,
}

/// Go's `strconv.Atoi` on a 64-bit platform: optional sign, ASCII digits only.
pub fn atoi(s: &str) -> Result<i64, AtoiError> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AtoiError::Syntax);
    }
    let mut value: i128 = 0;
    for b in digits.bytes() {
        value = value * 10 + i128::from(b - b'0');
        if value > i128::from(i64::MAX) + 1 {
            return Err(AtoiError::Range);
        }
    }
    let value = if neg { -value } else { value };
    i64::try_from(value).map_err(|_| AtoiError::Range)
}

/// The text of Go's `strconv.Atoi` error for `s`.
pub fn atoi_error_text(s: &str, err: &AtoiError) -> String {
    let why = match err {
        AtoiError::Syntax => "invalid syntax",
        AtoiError::Range => "value out of range",
    };
    format!("strconv.Atoi: parsing {}: {why}", quote(s))
}

/// Go's `time.ParseDuration`, in nanoseconds, with Go's error texts.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.as_bytes().first()
        && (*c == b'-' || *c == b'+')
    {
        neg = *c == b'-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        // leading integer
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut v: u64 = 0;
        for b in s[..int_len].bytes() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(b - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        let pre = int_len > 0;
        s = &s[int_len..];
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.as_bytes().first() == Some(&b'.') {
            s = &s[1..];
            let frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in s[..frac_len].bytes() {
                if overflow {
                    continue;
                }
                if frac > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = frac * 10 + u64::from(b - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                frac = y;
                scale *= 10.0;
            }
            post = frac_len > 0;
            s = &s[frac_len..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                time_quote(orig)
            ));
        }
        let unit_str = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_str {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3600 * 1_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(unit_str),
                    time_quote(orig)
                ));
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            // Go truncates the float product toward zero.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total = total.saturating_add(v);
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// `int32(math.Ceil(x))` made total: Go's conversion is implementation-defined out of range; we
/// saturate (NaN → 0). See RATIONALE.md "Overflow".
pub fn ceil_to_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// `int64(math.Ceil(x))`, saturating like [`ceil_to_i32`].
pub fn ceil_to_i64(x: f64) -> i64 {
    x.ceil() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_matches_go() {
        assert_eq!(atoi("20"), Ok(20));
        assert_eq!(atoi("-5"), Ok(-5));
        assert_eq!(atoi("+7"), Ok(7));
        assert_eq!(atoi(" 5"), Err(AtoiError::Syntax));
        assert_eq!(atoi(""), Err(AtoiError::Syntax));
        assert_eq!(atoi("99999999999999999999"), Err(AtoiError::Range));
        assert_eq!(atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            atoi_error_text("asd", &AtoiError::Syntax),
            "strconv.Atoi: parsing \"asd\": invalid syntax"
        );
    }

    #[test]
    fn durations_match_go() {
        assert_eq!(parse_duration("48h"), Ok(48 * 3600 * 1_000_000_000));
        assert_eq!(parse_duration("1.5h"), Ok(5400 * 1_000_000_000));
        assert_eq!(parse_duration("-1m30s"), Ok(-90 * 1_000_000_000));
        assert_eq!(
            parse_duration("2540400h"),
            Ok(2_540_400 * 3600 * 1_000_000_000)
        );
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(
            parse_duration("1"),
            Err("time: missing unit in duration \"1\"".into())
        );
        assert_eq!(
            parse_duration("1d"),
            Err("time: unknown unit \"d\" in duration \"1d\"".into())
        );
        assert_eq!(
            parse_duration(""),
            Err("time: invalid duration \"\"".into())
        );
        assert_eq!(
            parse_duration("3000000h"),
            Err("time: invalid duration \"3000000h\"".into())
        );
    }

    #[test]
    fn quote_escapes() {
        assert_eq!(quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(quote("é"), "\"é\"");
    }
}
