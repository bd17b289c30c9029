//! Instants and civil time with Go's `time` semantics where Agones' schedule logic depends on them:
//! `time.Date` normalisation in a zone, `Truncate`, the zero time, and `time.Parse(time.RFC3339)`
//! (which falls back to Go's general parser and so accepts a one-digit hour).

use std::fmt;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// An instant with nanosecond precision, counted from the Unix epoch (can be far in the past or
/// future: Go's zero time is year 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(i128);

/// Seconds from 0001-01-01T00:00:00Z (Go's zero time) to the Unix epoch.
const ZERO_UNIX: i64 = -62_135_596_800;

impl Instant {
    /// Go's zero `time.Time` (0001-01-01T00:00:00Z).
    pub const ZERO: Instant = Instant(ZERO_UNIX as i128 * NANOS_PER_SEC);

    /// From Unix seconds and nanoseconds.
    pub fn from_unix(secs: i64, nanos: u32) -> Instant {
        Instant(i128::from(secs) * NANOS_PER_SEC + i128::from(nanos))
    }

    /// Whole Unix seconds (floor).
    pub fn unix_secs(self) -> i64 {
        clamp_i64(self.0.div_euclid(NANOS_PER_SEC))
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(NANOS_PER_SEC) as u32
    }

    /// Go's `IsZero`.
    pub fn is_zero(self) -> bool {
        self == Instant::ZERO
    }

    /// `t.Add(d)` for `d` in nanoseconds (saturating far outside any real date).
    pub fn add_nanos(self, d: i128) -> Instant {
        Instant(self.0.saturating_add(d))
    }

    /// `t.Truncate(d)` for `d` > 0: rounds down to a multiple of `d` since the zero time.
    pub fn truncate(self, d: i128) -> Instant {
        if d <= 0 {
            return self;
        }
        let since_zero = self.0 - Instant::ZERO.0;
        Instant(self.0 - since_zero.rem_euclid(d))
    }

    /// Formats as RFC 3339 in UTC (`2006-01-02T15:04:05Z`, fractional seconds when present).
    pub fn to_rfc3339(self) -> String {
        let secs = self.unix_secs();
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        );
        let ns = self.subsec_nanos();
        if ns != 0 {
            let frac = format!("{ns:09}");
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Days since 1970-01-01 of a proleptic-Gregorian civil date (any year).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A time zone: all Go's `time` needs is the UTC offset in force at an instant.
pub trait Zone {
    /// Offset east of UTC, in seconds, at Unix second `unix`.
    fn offset_at(&self, unix: i64) -> i32;
}

/// UTC.
#[derive(Debug, Clone, Copy)]
pub struct Utc;

impl Zone for Utc {
    fn offset_at(&self, _unix: i64) -> i32 {
        0
    }
}

/// Civil fields of an instant in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Weekday, Sunday = 0.
    pub weekday: u32,
}

/// The civil fields of `t` in `zone`.
pub fn civil(t: Instant, zone: &dyn Zone) -> Civil {
    let unix = t.unix_secs();
    let local = unix.saturating_add(i64::from(zone.offset_at(unix)));
    let days = local.div_euclid(86_400);
    let sod = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: (sod / 3600) as u32,
        minute: ((sod / 60) % 60) as u32,
        second: (sod % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
    }
}

/// Go's `time.Date(year, month, day, hour, min, sec, nsec, loc)`, out-of-range fields normalised,
/// and a local time in a transition resolved the way Go does (look up the offset at the local
/// time read as UTC, then re-check at the corrected instant).
#[allow(clippy::too_many_arguments)]
pub fn date(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    nsec: i64,
    zone: &dyn Zone,
) -> Instant {
    let m0 = month - 1;
    let year = year + m0.div_euclid(12);
    let month = (m0.rem_euclid(12) + 1) as u32;
    let sec = sec + nsec.div_euclid(1_000_000_000);
    let nsec = nsec.rem_euclid(1_000_000_000);
    let days = days_from_civil(year, month, 1) + (day - 1);
    let unix = days
        .saturating_mul(86_400)
        .saturating_add(hour.saturating_mul(3600))
        .saturating_add(min.saturating_mul(60))
        .saturating_add(sec);
    let mut offset = i64::from(zone.offset_at(unix));
    let mut result = unix;
    if offset != 0 {
        let utc = unix - offset;
        let again = i64::from(zone.offset_at(utc));
        if again != offset {
            offset = again;
        }
        result = unix - offset;
    }
    Instant::from_unix(result, nsec as u32)
}

/// `t.AddDate(years, months, days)` in `zone`.
pub fn add_date(t: Instant, years: i64, months: i64, days: i64, zone: &dyn Zone) -> Instant {
    let c = civil(t, zone);
    date(
        c.year + years,
        i64::from(c.month) + months,
        i64::from(c.day) + days,
        i64::from(c.hour),
        i64::from(c.minute),
        i64::from(c.second),
        i64::from(t.subsec_nanos()),
        zone,
    )
}

/// Go's `time.Parse(time.RFC3339, s)`: `2006-01-02T15:04:05Z07:00`, where (through Go's general
/// parser) the hour may have one digit and a fractional second is accepted.
pub fn parse_rfc3339(s: &str) -> Result<Instant, String> {
    let err = || {
        format!(
            "parsing time {} as \"2006-01-02T15:04:05Z07:00\": cannot parse",
            super::quote(s)
        )
    };
    let b = s.as_bytes();
    let mut i = 0usize;
    let digits = |i: &mut usize, min: usize, max: usize| -> Option<i64> {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i - start < min {
            return None;
        }
        s[start..*i].parse::<i64>().ok()
    };
    let lit = |i: &mut usize, c: u8| -> bool {
        if *i < b.len() && b[*i] == c {
            *i += 1;
            true
        } else {
            false
        }
    };
    let year = digits(&mut i, 4, 4).ok_or_else(err)?;
    if !lit(&mut i, b'-') {
        return Err(err());
    }
    let month = digits(&mut i, 2, 2).ok_or_else(err)?;
    if !lit(&mut i, b'-') {
        return Err(err());
    }
    let day = digits(&mut i, 2, 2).ok_or_else(err)?;
    if !lit(&mut i, b'T') {
        return Err(err());
    }
    let hour = digits(&mut i, 1, 2).ok_or_else(err)?;
    if !lit(&mut i, b':') {
        return Err(err());
    }
    let minute = digits(&mut i, 2, 2).ok_or_else(err)?;
    if !lit(&mut i, b':') {
        return Err(err());
    }
    let second = digits(&mut i, 2, 2).ok_or_else(err)?;
    let mut nanos: i64 = 0;
    if i < b.len() && (b[i] == b'.' || b[i] == b',') && i + 1 < b.len() && b[i + 1].is_ascii_digit()
    {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        let mut scaled = String::from(frac);
        scaled.truncate(9);
        while scaled.len() < 9 {
            scaled.push('0');
        }
        nanos = scaled.parse::<i64>().map_err(|_| err())?;
    }
    let offset: i64 = if lit(&mut i, b'Z') {
        0
    } else if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        let neg = b[i] == b'-';
        i += 1;
        let hh = digits(&mut i, 2, 2).ok_or_else(err)?;
        if !lit(&mut i, b':') {
            return Err(err());
        }
        let mm = digits(&mut i, 2, 2).ok_or_else(err)?;
        if hh > 24 || mm > 60 {
            return Err(err());
        }
        let off = hh * 3600 + mm * 60;
        if neg { -off } else { off }
    } else {
        return Err(err());
    };
    if i != b.len() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            super::quote(s),
            super::quote(&s[i..])
        ));
    }
    let out_of_range =
        |what: &str| format!("parsing time {}: {what} out of range", super::quote(s));
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    if hour >= 24 {
        return Err(out_of_range("hour"));
    }
    if minute >= 60 {
        return Err(out_of_range("minute"));
    }
    if second >= 60 {
        return Err(out_of_range("second"));
    }
    if day < 1 || day > i64::from(days_in(month as u32, year)) {
        return Err(out_of_range("day"));
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let unix = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Ok(Instant::from_unix(unix, nanos as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        for days in [-719_162i64, -1, 0, 1, 18_628, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(-719_162), (1, 1, 1));
        assert_eq!(Instant::ZERO.to_rfc3339(), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn parses_like_go() {
        let t = parse_rfc3339("2021-01-01T0:30:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-01-01T00:30:00Z");
        let t = parse_rfc3339("2021-01-02T4:53:00-05:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-01-02T09:53:00Z");
        assert!(parse_rfc3339("2022-12-31T24:59:59Z").is_err());
        assert!(parse_rfc3339("2021-02-29T00:00:00Z").is_err());
        assert!(parse_rfc3339("2021-01-01").is_err());
        let t = parse_rfc3339("2024-08-01T10:07:36.5-06:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-08-01T16:07:36.5Z");
    }

    #[test]
    fn date_normalises() {
        let t = date(2021, 13, 32, 25, 61, 61, 0, &Utc);
        assert_eq!(t.to_rfc3339(), "2022-02-02T02:02:01Z");
        assert_eq!(civil(t, &Utc).weekday, 3);
    }
}
