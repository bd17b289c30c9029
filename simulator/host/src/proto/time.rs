//! RFC 3339 timestamps (`metav1.Time`, `metav1.MicroTime`) to Unix seconds and nanoseconds.

/// Parses an RFC 3339 timestamp such as `2024-11-14T17:49:24Z` or `2024-11-14T18:49:24.5+01:00`
/// into Unix seconds and nanoseconds.
pub(crate) fn parse_rfc3339(s: &str) -> Result<(i64, u32), String> {
    let err = || format!("parsing time {s:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse");
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(err());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let t = s.get(r).ok_or_else(err)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        t.parse::<i64>().map_err(|_| err())
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return Err(err());
    }
    let mut pos = 19;
    let mut nanos: u32 = 0;
    if b[pos] == b'.' || b[pos] == b',' {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == start {
            return Err(err());
        }
        let frac = &s[start..pos.min(start + 9)];
        nanos = frac.parse::<u32>().map_err(|_| err())? * 10u32.pow(9 - frac.len() as u32);
    }
    let offset = match &s[pos..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let h = num(pos + 1..pos + 3)?;
            let m = num(pos + 4..pos + 6)?;
            let o = h * 3600 + m * 60;
            if rest.starts_with('-') { -o } else { o }
        }
        _ => return Err(err()),
    };
    let days = days_from_civil(year, month, day);
    Ok((days * 86_400 + hour * 3600 + min * 60 + sec - offset, nanos))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Unix seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z), which `IsZero` reports.
pub(crate) const GO_ZERO_UNIX: i64 = -62_135_596_800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok((0, 0)));
        assert_eq!(
            parse_rfc3339("2022-01-01T00:00:00Z"),
            Ok((1_640_995_200, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-11-14T17:49:24Z"),
            Ok((1_731_606_564, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-11-14T18:49:24.25+01:00"),
            Ok((1_731_606_564, 250_000_000))
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Ok((GO_ZERO_UNIX, 0)));
        assert!(parse_rfc3339("2024-13-01T00:00:00Z").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
