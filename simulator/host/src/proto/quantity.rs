//! `resource.Quantity` parsing and canonical serialisation, as k8s.io/apimachinery v0.33 does it.
//!
//! The host marshals `q.String()`, so the guest always sees the canonical form: `1.5` becomes
//! `1500m`, `1536Mi` stays `1536Mi`, `1.5Gi` becomes `1536Mi`, `1000` becomes `1k`. Values are kept
//! as an `i128` mantissa and a power-of-ten exponent, which is exact for every quantity that fits
//! in 38 digits (Kubernetes itself caps most values far below that).

/// The error text apimachinery gives for a malformed quantity.
pub(crate) const ERR_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// The error text apimachinery gives for an unknown suffix.
pub(crate) const ERR_SUFFIX: &str = "unable to parse quantity's suffix";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    DecimalExponent,
    BinarySI,
    DecimalSI,
}

/// Parses `s` like `resource.ParseQuantity` and returns its canonical string (`Quantity.String()`).
pub(crate) fn canonical(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(ERR_FORMAT.into());
    }
    if s == "0" {
        return Ok("0".into());
    }
    let (positive, num, denom, suffix) = split(s)?;
    let (base, exponent, mut format) = interpret(suffix).ok_or_else(|| ERR_SUFFIX.to_string())?;

    let too_big = || "quantity is too large for the simulator".to_string();
    let mut digits = String::with_capacity(num.len() + denom.len());
    digits.push_str(num);
    digits.push_str(denom);
    let digits = digits.trim_start_matches('0');
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| too_big())?
    };
    let mut exp10: i64 = -(denom.len() as i64);
    if base == 10 {
        exp10 += i64::from(exponent);
    } else {
        mantissa = mantissa
            .checked_mul(1i128 << exponent)
            .ok_or_else(too_big)?;
    }
    if !positive {
        mantissa = -mantissa;
    }
    if mantissa == 0 {
        return Ok("0".into());
    }

    // Round anything finer than a nano away from zero (inf.RoundUp).
    if exp10 < -9 {
        let shift = -9 - exp10;
        let (q, rem) = div_pow10(mantissa, shift);
        mantissa = if rem != 0 { q + mantissa.signum() } else { q };
        exp10 = -9;
    }

    if format == Format::BinarySI {
        // Values strictly between -1024 and 1024, and non-integers, are shown as DecimalSI.
        match as_integer(mantissa, exp10) {
            Some(v) if v <= -1024 || v >= 1024 => {
                let v = v.min(i128::from(i64::MAX));
                let (mut amount, mut k) = (v, 0u32);
                while amount % 1024 == 0 && k < 6 {
                    amount /= 1024;
                    k += 1;
                }
                let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k as usize];
                return Ok(format!("{amount}{suffix}"));
            }
            _ => format = Format::DecimalSI,
        }
    }

    // DecimalSI and DecimalExponent: move factors of ten into the exponent, then make the exponent
    // a multiple of three.
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exp10 += 1;
    }
    while exp10 % 3 != 0 {
        mantissa = mantissa.checked_mul(10).ok_or_else(too_big)?;
        exp10 -= 1;
    }
    let suffix = match format {
        Format::DecimalExponent if exp10 == 0 => String::new(),
        Format::DecimalExponent => format!("e{exp10}"),
        _ => match exp10 {
            -9 => "n".into(),
            -6 => "u".into(),
            -3 => "m".into(),
            3 => "k".into(),
            6 => "M".into(),
            9 => "G".into(),
            12 => "T".into(),
            15 => "P".into(),
            18 => "E".into(),
            // apimachinery finds no suffix for other exponents and prints the bare number.
            _ => String::new(),
        },
    };
    Ok(format!("{mantissa}{suffix}"))
}

/// `mantissa / 10^shift` truncated, and the remainder.
fn div_pow10(mantissa: i128, shift: i64) -> (i128, i128) {
    let mut q = mantissa;
    let mut rem = 0;
    for _ in 0..shift {
        if q == 0 {
            rem = mantissa;
            break;
        }
        if q % 10 != 0 {
            rem = 1;
        }
        q /= 10;
    }
    (q, rem)
}

/// `mantissa · 10^exp10` if it is an integer that fits.
fn as_integer(mantissa: i128, exp10: i64) -> Option<i128> {
    if exp10 >= 0 {
        let mut v = mantissa;
        for _ in 0..exp10 {
            v = v.checked_mul(10)?;
        }
        Some(v)
    } else {
        let (q, rem) = div_pow10(mantissa, -exp10);
        (rem == 0).then_some(q)
    }
}

/// Splits like apimachinery's `parseQuantityString`: sign, integer digits (leading zeros dropped),
/// fraction digits, suffix.
fn split(s: &str) -> Result<(bool, &str, &str, &str), String> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, "0", "", ""));
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = if pos == start { "0" } else { &s[start..pos] };
    if pos >= end {
        return Ok((positive, num, "", ""));
    }
    let mut denom = "";
    if b[pos] == b'.' {
        pos += 1;
        let d = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[d..pos];
        if pos >= end {
            return Ok((positive, num, denom, ""));
        }
    }
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(ERR_FORMAT.into());
    }
    Ok((positive, num, denom, &s[suffix_start..]))
}

fn interpret(suffix: &str) -> Option<(i32, i32, Format)> {
    let dec = |e| Some((10, e, Format::DecimalSI));
    let bin = |e| Some((2, e, Format::BinarySI));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            let e: i64 = s[1..].parse().ok()?;
            Some((10, i32::try_from(e).ok()?, Format::DecimalExponent))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_forms() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("4", "4"),
            ("110", "110"),
            ("1000", "1k"),
            ("1.5", "1500m"),
            ("100m", "100m"),
            ("0.1", "100m"),
            ("1Gi", "1Gi"),
            ("32Gi", "32Gi"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("1.1Ki", "1126400m"),
            ("1Ki", "1Ki"),
            ("2048", "2048"),
            ("1e3", "1e3"),
            ("1E3", "1e3"),
            ("1500e-3", "1500e-3"),
            ("12e6", "12e6"),
            ("1M", "1M"),
            ("1000k", "1M"),
            ("0.0000000001", "1n"),
            ("1n", "1n"),
            ("-1.5", "-1500m"),
            ("+2", "2"),
            ("500Mi", "500Mi"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("129M", "129M"),
            ("123Mi", "123Mi"),
            ("100000000", "100M"),
            (".5", "500m"),
            ("1000E", "1"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn malformed() {
        assert_eq!(canonical("").unwrap_err(), super::ERR_FORMAT);
        assert_eq!(canonical("1x").unwrap_err(), super::ERR_FORMAT);
        assert_eq!(canonical("1Ki2").unwrap_err(), super::ERR_SUFFIX);
        assert_eq!(canonical("1kk").unwrap_err(), super::ERR_SUFFIX);
    }
}
