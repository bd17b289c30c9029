//! Property tests of `common::quantity` (kept here, where proptest is a dev-dependency).

#![allow(clippy::unwrap_used)] // Test helpers may panic.

use common::quantity::Quantity;
use proptest::prelude::*;

/// The exact value in nanos of `<int>.<frac>` times `10^exp10`, rounded up (away from zero) to a
/// nano, by plain i128 arithmetic on small inputs.
fn reference_nanos(int: u64, frac: &str, exp10: i32) -> i128 {
    let frac_value: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().unwrap()
    };
    let digits = frac.len() as i32;
    // value = (int * 10^digits + frac) * 10^(exp10 + 9 - digits) nanos.
    let mantissa = i128::from(int) * 10i128.pow(digits as u32) + frac_value;
    let shift = exp10 + 9 - digits;
    if shift >= 0 {
        mantissa * 10i128.pow(shift as u32)
    } else {
        let d = 10i128.pow((-shift) as u32);
        (mantissa + d - 1) / d
    }
}

proptest! {
    #[test]
    fn never_panics_on_any_string(s in ".{0,40}") {
        let _ = Quantity::parse(&s);
    }

    #[test]
    fn never_panics_on_quantity_like_strings(s in "[-+]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][-+]?[0-9]{0,25}|[numkMGTPE]|[KMGTPE]i|[a-zA-Z+\\-. ]{0,3})?") {
        if let Ok(q) = Quantity::parse(&s) {
            let _ = (q.value(), q.milli_value(), q.saturating_add(q));
        }
    }

    #[test]
    fn decimal_values_match_exact_arithmetic(
        negative in any::<bool>(),
        int in 0u64..1_000_000_000,
        frac in "[0-9]{0,9}",
        suffix in prop::sample::select(vec![("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("e-2", -2), ("e5", 5)]),
    ) {
        let text = format!("{}{int}{}{frac}{}", if negative { "-" } else { "" }, if frac.is_empty() { "" } else { "." }, suffix.0);
        let q = Quantity::parse(&text).unwrap();
        let magnitude = reference_nanos(int, &frac, suffix.1);
        prop_assert_eq!(q.nanos(), if negative { -magnitude } else { magnitude });
        // Value and MilliValue round away from zero.
        let milli = (magnitude + 999_999) / 1_000_000;
        let value = (magnitude + 999_999_999) / 1_000_000_000;
        let sign = if negative { -1 } else { 1 };
        prop_assert_eq!(i128::from(q.milli_value()), sign * milli);
        prop_assert_eq!(i128::from(q.value()), sign * value);
    }

    #[test]
    fn binary_values_match_exact_arithmetic(int in 0u64..1_000_000, frac in "[0-9]{0,4}", shift in prop::sample::select(vec![10u32, 20, 30, 40])) {
        let suffix = match shift { 10 => "Ki", 20 => "Mi", 30 => "Gi", _ => "Ti" };
        let text = format!("{int}.{frac}{suffix}");
        let q = Quantity::parse(&text).unwrap();
        // (int.frac) * 2^shift units, in nanos, rounded up.
        let digits = frac.len() as u32;
        let frac_value: i128 = if frac.is_empty() { 0 } else { frac.parse().unwrap() };
        let numerator = (i128::from(int) * 10i128.pow(digits) + frac_value) * (1i128 << shift) * 1_000_000_000;
        let d = 10i128.pow(digits);
        prop_assert_eq!(q.nanos(), (numerator + d - 1) / d);
    }

    #[test]
    fn sums_are_exact(a in 0i64..1_000_000_000_000, b in 0i64..1_000_000_000_000) {
        let qa = Quantity::parse(&format!("{a}m")).unwrap();
        let qb = Quantity::parse(&format!("{b}m")).unwrap();
        prop_assert_eq!(qa.saturating_add(qb).milli_value(), a + b);
    }
}
