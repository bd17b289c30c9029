//! When a Schedule policy is active (Agones' `isScheduleActive`), and Go's `time.LoadLocation`
//! over the bundled IANA database (feature `schedule`; without it only UTC is known).

use crate::cron::parse_standard;
use crate::go::parse_duration;
use crate::go::time::{Instant, Utc, Zone};
use crate::policy::ApplyError;
use crate::types::SchedulePolicy;

/// Agones' duration for an empty `activePeriod.duration`: 2540400h (290 years).
pub const MAX_DURATION_NANOS: i64 = 2_540_400 * 3600 * 1_000_000_000;

#[cfg(feature = "schedule")]
struct TzZone(jiff::tz::TimeZone);

#[cfg(feature = "schedule")]
impl Zone for TzZone {
    fn offset_at(&self, unix: i64) -> i32 {
        let clamped = unix.clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        );
        match jiff::Timestamp::from_second(clamped) {
            Ok(ts) => self.0.to_offset(ts).seconds(),
            Err(_) => 0,
        }
    }
}

/// Go's `time.LoadLocation`: `""` and `"UTC"` are UTC, `"Local"` is taken as UTC (a controller's
/// container zone), anything else must be an IANA name. Error text: `unknown time zone X`.
pub fn load_location(name: &str) -> Result<Box<dyn Zone>, String> {
    if name.is_empty() || name == "UTC" || name == "Local" {
        return Ok(Box::new(Utc));
    }
    #[cfg(feature = "schedule")]
    {
        if !name.contains("..")
            && !name.starts_with('/')
            && !name.contains('\\')
            && let Ok(tz) = jiff::tz::db().get(name)
            // jiff matches names case-insensitively; Go's zoneinfo lookup does not.
            && tz.iana_name().is_none_or(|n| n == name)
        {
            return Ok(Box::new(TzZone(tz)));
        }
    }
    Err(format!("unknown time zone {name}"))
}

/// Whether `s` is active at `now`: after `between.start`, not after a non-zero `between.end`, and —
/// with a `startCron` — within `(fire − 90 s, fire + duration)` of the first fire after
/// `now − duration`. Agones ignores parse errors here (validation ran before); a bad zone or cron
/// makes Go dereference nil, so this returns an error instead.
pub fn is_active(s: &SchedulePolicy, now: Instant) -> Result<bool, ApplyError> {
    let start = s.between.start.0;
    if now < start {
        return Ok(false);
    }
    let end = s.between.end.0;
    if !end.is_zero() && now > end {
        return Ok(false);
    }
    if s.active_period.start_cron.is_empty() {
        return Ok(true);
    }
    let zone = load_location(&s.active_period.timezone).map_err(ApplyError::new)?;
    let cron = parse_standard(&s.active_period.start_cron)
        .map_err(|e| ApplyError::new(format!("invalid startCron: {e}")))?;
    let duration = if s.active_period.duration.is_empty() {
        MAX_DURATION_NANOS
    } else {
        parse_duration(&s.active_period.duration).unwrap_or(0)
    };
    let duration = i128::from(duration);
    let from = now.add_nanos(-duration);
    let cron_start = cron.next(from, zone.as_ref()).unwrap_or(Instant::ZERO);
    let cron_end = cron_start.add_nanos(duration);
    let delta = -90 * 1_000_000_000i128;
    Ok(now > cron_start.add_nanos(delta) && now < cron_end)
}

#[cfg(all(test, feature = "schedule"))]
mod tests {
    use super::*;
    use crate::go::time::{civil, parse_rfc3339};

    #[test]
    fn zones_resolve() {
        let z = load_location("America/Chicago").unwrap();
        let t = parse_rfc3339("2024-08-01T16:07:36Z").unwrap();
        assert_eq!(z.offset_at(t.unix_secs()), -5 * 3600);
        assert_eq!(civil(t, z.as_ref()).hour, 11);
        assert_eq!(
            load_location("Mars/Olympus").err().unwrap(),
            "unknown time zone Mars/Olympus"
        );
    }
}

#[cfg(all(test, feature = "schedule"))]
mod zone_names {
    use super::load_location;

    #[test]
    fn go_known_names_load() {
        for name in [
            "US/Pacific",
            "EST",
            "EST5EDT",
            "Etc/GMT+5",
            "GMT",
            "Europe/Kyiv",
            "America/Argentina/Buenos_Aires",
            "Asia/Kolkata",
        ] {
            assert!(load_location(name).is_ok(), "{name}");
        }
        for name in ["", "UTC", "Local"] {
            assert!(load_location(name).is_ok(), "{name}");
        }
        assert!(load_location("../etc/passwd").is_err());
        assert!(load_location("america/chicago").is_err());
    }
}
