//! Cron as Agones evaluates it (`robfig/cron/v3` `ParseStandard` and `SpecSchedule.Next`): the
//! standard 5-field form plus `@yearly`…`@hourly`, `@every <duration>` and a `TZ=`/`CRON_TZ=`
//! prefix; day-of-month and day-of-week are ANDed when either is `*`/`?`, ORed otherwise; `Next`
//! walks month → day → hour → minute in the zone (with robfig's DST nudges) and gives up after five
//! years (returning Go's zero time). Written from the library's documented behaviour; no code copied.

use crate::go::time::{Civil, Instant, Zone, add_date, civil, date};
use crate::go::{atoi, atoi_error_text, parse_duration};

const STAR: u64 = 1 << 63;

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A field-based schedule (bit sets, bit 63 = "was a star").
    Spec {
        /// Seconds (always 0 for standard specs).
        second: u64,
        /// Minutes.
        minute: u64,
        /// Hours.
        hour: u64,
        /// Days of month.
        dom: u64,
        /// Months.
        month: u64,
        /// Days of week.
        dow: u64,
        /// A `TZ=` zone name, if given.
        zone: Option<String>,
    },
    /// `@every <duration>`: fixed delay in nanoseconds (whole seconds, at least 1 s).
    Every(i64),
}

struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

fn bits(min: u64, max: u64, step: u64) -> u64 {
    let mut out = 0u64;
    let mut i = min;
    while i <= max && i < 64 {
        out |= 1 << i;
        i = match i.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }
    out
}

fn all(b: &Bounds) -> u64 {
    bits(b.min, b.max, 1) | STAR
}

fn parse_uint(expr: &str) -> Result<u64, String> {
    match atoi(expr) {
        Ok(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {expr}")),
        Ok(n) => Ok(n as u64),
        Err(e) => Err(format!(
            "failed to parse int from {expr}: {}",
            atoi_error_text(expr, &e)
        )),
    }
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u64, String> {
    let lower = expr.to_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    parse_uint(expr)
}

fn get_range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        start = b.min;
        end = b.max;
        extra = STAR;
    } else {
        start = parse_int_or_name(low_and_high[0], b)?;
        extra = 0;
        end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_uint(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step) | extra)
}

fn get_field(field: &str, b: &Bounds) -> Result<u64, String> {
    let mut out = 0;
    for expr in field.split(',').filter(|s| !s.is_empty()) {
        out |= get_range(expr, b)?;
    }
    Ok(out)
}

/// `cron.ParseStandard(spec)`, with robfig's error texts.
pub fn parse_standard(spec: &str) -> Result<Schedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    let mut spec = spec;
    let mut zone = None;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let Some(space) = spec.find(' ') else {
            return Err(format!(
                "provided bad location {}: unknown time zone",
                &spec[spec.find('=').map_or(0, |e| e + 1)..]
            ));
        };
        let eq = spec.find('=').unwrap_or(0);
        let name = &spec[eq + 1..space];
        crate::schedule::load_location(name)
            .map_err(|e| format!("provided bad location {name}: {e}"))?;
        zone = Some(name.to_string());
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return parse_descriptor(spec, zone);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule::Spec {
        second: 1,
        minute: get_field(fields[0], &MINUTES)?,
        hour: get_field(fields[1], &HOURS)?,
        dom: get_field(fields[2], &DOM)?,
        month: get_field(fields[3], &MONTHS)?,
        dow: get_field(fields[4], &DOW)?,
        zone,
    })
}

fn parse_descriptor(d: &str, zone: Option<String>) -> Result<Schedule, String> {
    let spec = |minute, hour, dom, month, dow| Schedule::Spec {
        second: 1,
        minute,
        hour,
        dom,
        month,
        dow,
        zone: zone.clone(),
    };
    Ok(match d {
        "@yearly" | "@annually" => spec(1, 1, 1 << 1, 1 << 1, all(&DOW)),
        "@monthly" => spec(1, 1, 1 << 1, all(&MONTHS), all(&DOW)),
        "@weekly" => spec(1, 1, all(&DOM), all(&MONTHS), 1),
        "@daily" | "@midnight" => spec(1, 1, all(&DOM), all(&MONTHS), all(&DOW)),
        "@hourly" => spec(1, all(&HOURS), all(&DOM), all(&MONTHS), all(&DOW)),
        _ => {
            if let Some(rest) = d.strip_prefix("@every ") {
                let dur = parse_duration(rest)
                    .map_err(|e| format!("failed to parse duration {d}: {e}"))?;
                let dur = dur.max(1_000_000_000);
                return Ok(Schedule::Every(dur - dur % 1_000_000_000));
            }
            return Err(format!("unrecognized descriptor: {d}"));
        }
    })
}

fn day_matches(dom: u64, dow: u64, c: &Civil) -> bool {
    let dom_match = (1u64 << c.day) & dom > 0;
    let dow_match = (1u64 << c.weekday) & dow > 0;
    if dom & STAR > 0 || dow & STAR > 0 {
        dom_match && dow_match
    } else {
        dom_match || dow_match
    }
}

const SEC: i128 = 1_000_000_000;

impl Schedule {
    /// `Schedule.Next(t)` with `t` in `zone` (or the spec's own `TZ=` zone). `None` stands for
    /// robfig's "no time found within five years" (Go's zero time).
    pub fn next(&self, t: Instant, zone: &dyn Zone) -> Option<Instant> {
        let (second, minute, hour, dom, month, dow, spec_zone) = match self {
            Schedule::Every(d) => {
                return Some(t.add_nanos(i128::from(*d) - i128::from(t.subsec_nanos())));
            }
            Schedule::Spec {
                second,
                minute,
                hour,
                dom,
                month,
                dow,
                zone,
            } => (*second, *minute, *hour, *dom, *month, *dow, zone),
        };
        let own;
        let loc: &dyn Zone = match spec_zone {
            Some(name) => match crate::schedule::load_location(name) {
                Ok(z) => {
                    own = z;
                    own.as_ref()
                }
                Err(_) => zone,
            },
            None => zone,
        };
        let mut t = t.add_nanos(SEC - i128::from(t.subsec_nanos()));
        let mut added = false;
        let year_limit = civil(t, loc).year + 5;
        'wrap: loop {
            if civil(t, loc).year > year_limit {
                return None;
            }
            while (1u64 << civil(t, loc).month) & month == 0 {
                if !added {
                    added = true;
                    let c = civil(t, loc);
                    t = date(c.year, i64::from(c.month), 1, 0, 0, 0, 0, loc);
                }
                t = add_date(t, 0, 1, 0, loc);
                if civil(t, loc).month == 1 {
                    continue 'wrap;
                }
            }
            while !day_matches(dom, dow, &civil(t, loc)) {
                if !added {
                    added = true;
                    let c = civil(t, loc);
                    t = date(
                        c.year,
                        i64::from(c.month),
                        i64::from(c.day),
                        0,
                        0,
                        0,
                        0,
                        loc,
                    );
                }
                t = add_date(t, 0, 0, 1, loc);
                let h = civil(t, loc).hour;
                if h != 0 {
                    if h > 12 {
                        t = t.add_nanos(i128::from(24 - h) * 3600 * SEC);
                    } else {
                        t = t.add_nanos(-i128::from(h) * 3600 * SEC);
                    }
                }
                if civil(t, loc).day == 1 {
                    continue 'wrap;
                }
            }
            while (1u64 << civil(t, loc).hour) & hour == 0 {
                if !added {
                    added = true;
                    let c = civil(t, loc);
                    t = date(
                        c.year,
                        i64::from(c.month),
                        i64::from(c.day),
                        i64::from(c.hour),
                        0,
                        0,
                        0,
                        loc,
                    );
                }
                t = t.add_nanos(3600 * SEC);
                if civil(t, loc).hour == 0 {
                    continue 'wrap;
                }
            }
            while (1u64 << civil(t, loc).minute) & minute == 0 {
                if !added {
                    added = true;
                    t = t.truncate(60 * SEC);
                }
                t = t.add_nanos(60 * SEC);
                if civil(t, loc).minute == 0 {
                    continue 'wrap;
                }
            }
            while (1u64 << civil(t, loc).second) & second == 0 {
                if !added {
                    added = true;
                    t = t.truncate(SEC);
                }
                t = t.add_nanos(SEC);
                if civil(t, loc).second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::time::{Utc, parse_rfc3339};

    fn next(spec: &str, at: &str) -> Option<String> {
        let s = parse_standard(spec).unwrap();
        s.next(parse_rfc3339(at).unwrap(), &Utc)
            .map(|t| t.to_rfc3339())
    }

    #[test]
    fn next_fires() {
        assert_eq!(
            next("* * * * *", "2021-01-01T00:00:30Z").as_deref(),
            Some("2021-01-01T00:01:00Z")
        );
        assert_eq!(
            next("0 2 * * *", "2021-11-07T01:59:59Z").as_deref(),
            Some("2021-11-07T02:00:00Z")
        );
        assert_eq!(
            next("0 1 3 * *", "2021-01-05T00:00:00Z").as_deref(),
            Some("2021-02-03T01:00:00Z")
        );
        assert_eq!(
            next("@hourly", "2021-01-01T00:00:00Z").as_deref(),
            Some("2021-01-01T01:00:00Z")
        );
        assert_eq!(next("0 0 30 2 *", "2021-01-01T00:00:00Z"), None);
        // dom and dow ORed when neither is a star: the 13th, or any Friday.
        assert_eq!(
            next("0 0 13 * 5", "2021-01-01T00:00:00Z").as_deref(),
            Some("2021-01-08T00:00:00Z")
        );
        // ANDed when one is a star.
        assert_eq!(
            next("0 0 * 1 5", "2021-01-01T00:00:00Z").as_deref(),
            Some("2021-01-08T00:00:00Z")
        );
    }

    #[test]
    fn parse_errors_like_robfig() {
        assert_eq!(
            parse_standard("* * * *").unwrap_err(),
            "expected exactly 5 fields, found 4: [* * * *]"
        );
        assert_eq!(
            parse_standard("60 * * * *").unwrap_err(),
            "end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            parse_standard("x * * * *").unwrap_err(),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse_standard("@reboot").unwrap_err(),
            "unrecognized descriptor: @reboot"
        );
        assert!(parse_standard("*/5 1-3 1,15 JAN-mar mon-FRI").is_ok());
        assert_eq!(parse_standard("").unwrap_err(), "empty spec string");
    }
}
