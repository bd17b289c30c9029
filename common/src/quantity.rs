//! Kubernetes `resource.Quantity` parsing, without allocation and without panics.
//!
//! A quantity is `<signedNumber><suffix>` (see `k8s.io/apimachinery/pkg/api/resource/quantity.go`):
//!
//! ```text
//! <quantity>        ::= <signedNumber><suffix>
//! <signedNumber>    ::= <number> | <sign><number>
//! <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//! <sign>            ::= "+" | "-"
//! <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//! <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//! <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//! <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
//! ```
//!
//! Kubernetes stores every parsed quantity as an exact multiple of 10⁻⁹ (a "nano"): finer values are
//! rounded *up* (away from zero) to the next nano at parse time, so `0.1n` is `1n`. [`Quantity`] keeps
//! exactly that value, as a count of nanos in an `i128`, so sums of quantities are exact, just as
//! `Quantity.Add` is, and [`Quantity::value`] / [`Quantity::milli_value`] round the way
//! `Quantity.Value()` / `Quantity.MilliValue()` do: up to the next integer (or milli), away from zero.
//!
//! Differences from Kubernetes, all on inputs that a real API server never stores:
//! - Magnitudes are capped at [`Quantity::MAX`] (10³⁰ nanos, far above `i64::MAX` units), and
//!   [`Quantity::value`] / [`Quantity::milli_value`] saturate at `i64::MIN`/`i64::MAX` where Go
//!   would overflow and wrap.
//! - A number needs at least one digit: Go's parser accepts `"-"`, `"."` or `"Gi"` as zero; here they
//!   are [`QuantityError::NoDigits`].
//! - Exponents beyond `i64` (`1e99999999999999999999`) saturate instead of failing.
//! - Negative values always round away from zero (Go does so for small values but truncates
//!   towards zero for some values of more than 18 digits).
//!
//! Leading and trailing whitespace is an error here; Go's `UnmarshalJSON` trims it before parsing,
//! so callers reading JSON should `trim()` first.
//!
//! ```
//! use common::quantity::Quantity;
//!
//! assert_eq!(Quantity::parse("100m").unwrap().milli_value(), 100);
//! assert_eq!(Quantity::parse("1.5Gi").unwrap().value(), 1_610_612_736);
//! assert_eq!(Quantity::parse("0.1m").unwrap().milli_value(), 1); // rounded up
//! assert!(Quantity::parse("1K").is_err()); // kilo is a lower-case k
//! ```

use core::fmt;
use core::str::FromStr;

/// Nanos in one unit.
const NANOS_PER_UNIT: u128 = 1_000_000_000;
/// Nanos in one milli-unit.
const NANOS_PER_MILLI: u128 = 1_000_000;
/// The largest magnitude a [`Quantity`] holds, in nanos (10³⁰).
const CAP: u128 = 1_000_000_000_000_000_000_000_000_000_000;

/// A Kubernetes resource quantity, held exactly as a whole number of nanos (10⁻⁹ units).
///
/// Ordering and equality compare the numeric values, so `1Ki == 1024` and `1.5 == 1500m`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// Why a string is not a quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityError {
    /// The string is empty.
    Empty,
    /// The number has no digit (for example `"-"`, `"."` or `"Gi"`).
    NoDigits,
    /// A byte that can appear nowhere at that place (a space, a second `.`, a letter that is no
    /// suffix letter); `index` is its byte offset in the input.
    UnexpectedCharacter {
        /// Byte offset of the offending character in the input.
        index: usize,
    },
    /// The suffix is none of `n u m k M G T P E Ki Mi Gi Ti Pi Ei` or an exponent `e<int>`/`E<int>`
    /// (for example `K`, `Gi3`, `e`, `e+`).
    InvalidSuffix,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::Empty => f.write_str("empty quantity"),
            QuantityError::NoDigits => f.write_str("quantity has no digits"),
            QuantityError::UnexpectedCharacter { index } => {
                write!(f, "unexpected character at byte {index} of quantity")
            }
            QuantityError::InvalidSuffix => f.write_str(
                "unknown quantity suffix (expected one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, \
                 or an exponent such as e3)",
            ),
        }
    }
}

impl core::error::Error for QuantityError {}

/// The multiplier a suffix stands for: `10^decimal * 2^binary`.
#[derive(Clone, Copy)]
struct Suffix {
    decimal: i64,
    binary: u32,
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };
    /// The largest quantity held: 10³⁰ nanos (10²¹ units). Larger values saturate to it.
    pub const MAX: Quantity = Quantity { nanos: CAP as i128 };
    /// The smallest quantity held: −10³⁰ nanos. Smaller values saturate to it.
    pub const MIN: Quantity = Quantity {
        nanos: -(CAP as i128),
    };

    /// The quantity of `nanos` nanos (10⁻⁹ units), clamped to [`Quantity::MIN`]..=[`Quantity::MAX`].
    pub const fn from_nanos(nanos: i128) -> Quantity {
        let cap = CAP as i128;
        let nanos = if nanos > cap {
            cap
        } else if nanos < -cap {
            -cap
        } else {
            nanos
        };
        Quantity { nanos }
    }

    /// The quantity of `value` whole units (what `resource.NewQuantity(value, …)` holds).
    pub const fn from_value(value: i64) -> Quantity {
        Quantity {
            nanos: value as i128 * NANOS_PER_UNIT as i128,
        }
    }

    /// The quantity of `milli` thousandths (what `resource.NewMilliQuantity(milli, …)` holds).
    pub const fn from_milli(milli: i64) -> Quantity {
        Quantity {
            nanos: milli as i128 * NANOS_PER_MILLI as i128,
        }
    }

    /// Parses a Kubernetes quantity string such as `"100m"`, `"1.5Gi"`, `"1e3"` or `"-2"`.
    ///
    /// Values finer than a nano round up (away from zero) to the next nano, as Kubernetes does;
    /// magnitudes beyond [`Quantity::MAX`] saturate. Never panics and never allocates.
    ///
    /// # Errors
    ///
    /// A [`QuantityError`] when `s` is not `<signedNumber><suffix>` (see the module docs).
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let bytes = s.as_bytes();
        if bytes.is_empty() {
            return Err(QuantityError::Empty);
        }

        let mut pos = 0;
        let negative = match bytes[0] {
            b'-' => {
                pos = 1;
                true
            }
            b'+' => {
                pos = 1;
                false
            }
            _ => false,
        };

        let int_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        let int_digits = &bytes[int_start..pos];
        let mut frac_digits: &[u8] = &[];
        if pos < bytes.len() && bytes[pos] == b'.' {
            pos += 1;
            let frac_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            frac_digits = &bytes[frac_start..pos];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(if pos == bytes.len() || is_suffix_byte(bytes[pos]) {
                QuantityError::NoDigits
            } else {
                QuantityError::UnexpectedCharacter { index: pos }
            });
        }

        let suffix = parse_suffix(bytes, pos)?;
        let magnitude = magnitude_in_nanos(int_digits, frac_digits, suffix);
        let nanos = magnitude as i128; // magnitude <= CAP < i128::MAX
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// The exact value in nanos (10⁻⁹ units).
    pub const fn nanos(self) -> i128 {
        self.nanos
    }

    /// The value in whole units, rounded up away from zero, saturating at `i64::MIN`/`i64::MAX`:
    /// Kubernetes' `Quantity.Value()` (`1.5` → 2, `-1.5` → -2, `1m` → 1).
    pub fn value(self) -> i64 {
        scaled(self.nanos, NANOS_PER_UNIT)
    }

    /// The value in thousandths, rounded up away from zero, saturating at `i64::MIN`/`i64::MAX`:
    /// Kubernetes' `Quantity.MilliValue()` (`1.5` → 1500, `0.1m` → 1).
    pub fn milli_value(self) -> i64 {
        scaled(self.nanos, NANOS_PER_MILLI)
    }

    /// The sum, saturating at [`Quantity::MIN`]/[`Quantity::MAX`]; exact otherwise.
    pub fn saturating_add(self, other: Quantity) -> Quantity {
        Quantity::from_nanos(self.nanos.saturating_add(other.nanos))
    }

    /// The difference, saturating at [`Quantity::MIN`]/[`Quantity::MAX`]; exact otherwise.
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity::from_nanos(self.nanos.saturating_sub(other.nanos))
    }

    /// Whether the quantity is zero.
    pub const fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// Whether the quantity is below zero.
    pub const fn is_negative(self) -> bool {
        self.nanos < 0
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

/// Parses `s` and returns Kubernetes' `Value()` of it (whole units, rounded up away from zero).
///
/// # Errors
///
/// As [`Quantity::parse`].
pub fn parse_value(s: &str) -> Result<i64, QuantityError> {
    Quantity::parse(s).map(Quantity::value)
}

/// Parses `s` and returns Kubernetes' `MilliValue()` of it (thousandths, rounded up away from zero).
///
/// # Errors
///
/// As [`Quantity::parse`].
pub fn parse_milli_value(s: &str) -> Result<i64, QuantityError> {
    Quantity::parse(s).map(Quantity::milli_value)
}

/// `ceil(|nanos| / per)` with the sign of `nanos`, saturated to `i64`.
fn scaled(nanos: i128, per: u128) -> i64 {
    let magnitude = nanos.unsigned_abs();
    let mut units = magnitude / per;
    if !magnitude.is_multiple_of(per) {
        units += 1;
    }
    if nanos < 0 {
        // units <= 2^63 fits the negation; anything more saturates.
        i64::try_from(-(units.min(1 << 63) as i128)).unwrap_or(i64::MIN)
    } else if units > i64::MAX as u128 {
        i64::MAX
    } else {
        units as i64
    }
}

/// Whether `b` may start a suffix (Go's split set `eEinumkKMGTP`).
fn is_suffix_byte(b: u8) -> bool {
    matches!(
        b,
        b'e' | b'E' | b'i' | b'n' | b'u' | b'm' | b'k' | b'K' | b'M' | b'G' | b'T' | b'P'
    )
}

/// Interprets `bytes[pos..]` as a suffix.
fn parse_suffix(bytes: &[u8], pos: usize) -> Result<Suffix, QuantityError> {
    let rest = &bytes[pos..];
    let (decimal, binary) = match rest {
        b"" => (0, 0),
        b"n" => (-9, 0),
        b"u" => (-6, 0),
        b"m" => (-3, 0),
        b"k" => (3, 0),
        b"M" => (6, 0),
        b"G" => (9, 0),
        b"T" => (12, 0),
        b"P" => (15, 0),
        b"E" => (18, 0),
        b"Ki" => (0, 10),
        b"Mi" => (0, 20),
        b"Gi" => (0, 30),
        b"Ti" => (0, 40),
        b"Pi" => (0, 50),
        b"Ei" => (0, 60),
        [b'e' | b'E', exponent @ ..] => (parse_exponent(exponent, pos + 1)?, 0),
        _ => return Err(classify_bad_suffix(bytes, pos)),
    };
    Ok(Suffix { decimal, binary })
}

/// Parses the signed decimal exponent after `e`/`E`, saturating far beyond any meaningful size.
/// `offset` is the byte offset of `exponent` in the whole input, for error positions.
fn parse_exponent(exponent: &[u8], offset: usize) -> Result<i64, QuantityError> {
    /// Any exponent this large already saturates (or rounds to 1n) whatever the digits.
    const LIMIT: i64 = 1 << 40;
    let (negative, digits) = match exponent {
        [b'-', digits @ ..] => (true, digits),
        [b'+', digits @ ..] => (false, digits),
        digits => (false, digits),
    };
    if digits.is_empty() {
        return Err(QuantityError::InvalidSuffix);
    }
    let sign_len = exponent.len() - digits.len();
    let mut value: i64 = 0;
    for (i, &b) in digits.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(if is_suffix_byte(b) || b == b'+' || b == b'-' {
                QuantityError::InvalidSuffix
            } else {
                QuantityError::UnexpectedCharacter {
                    index: offset + sign_len + i,
                }
            });
        }
        value = (value * 10 + i64::from(b - b'0')).min(LIMIT);
    }
    Ok(if negative { -value } else { value })
}

/// A suffix that is not in the table: either it has a byte that no suffix can have, or it is made
/// of suffix bytes in a meaningless order.
fn classify_bad_suffix(bytes: &[u8], pos: usize) -> QuantityError {
    for (i, &b) in bytes.iter().enumerate().skip(pos) {
        if !(is_suffix_byte(b) || b.is_ascii_digit() || b == b'+' || b == b'-') {
            return QuantityError::UnexpectedCharacter { index: i };
        }
    }
    QuantityError::InvalidSuffix
}

/// `ceil((int.frac) * 10^decimal * 2^binary * 10^9)`, capped at [`CAP`].
///
/// Exact for every input: digits worth at least a nano are accumulated (saturating), and digits
/// below a nano are multiplied by `2^binary` right to left with a carry, remembering whether any
/// remainder was left (which rounds up by one nano).
fn magnitude_in_nanos(int_digits: &[u8], frac_digits: &[u8], suffix: Suffix) -> u128 {
    // Power of ten, in nanos, of the units digit.
    let exponent = suffix.decimal.saturating_add(9);
    let total = int_digits.len() + frac_digits.len();
    let digit = |i: usize| -> u128 {
        let b = if i < int_digits.len() {
            int_digits[i]
        } else {
            frac_digits[i - int_digits.len()]
        };
        u128::from(b - b'0')
    };

    // How many leading digits are worth at least one nano (may exceed `total` or be negative).
    let whole_len = (int_digits.len() as i64).saturating_add(exponent);
    let whole_count = whole_len.clamp(0, total as i64) as usize;

    // Whole nanos, saturating at CAP (then anything more stays saturated).
    let mut whole: u128 = 0;
    for i in 0..whole_count {
        whole = saturating_mul_add(whole, 10, digit(i));
    }
    if whole_len > total as i64 {
        // Trailing zeros implied by the exponent.
        let zeros = whole_len - total as i64;
        if whole != 0 {
            whole = if zeros > 38 {
                CAP
            } else {
                saturating_mul_add(whole, 10u128.pow(zeros as u32), 0)
            };
        }
    }
    whole = saturating_mul_add(whole, 1u128 << suffix.binary, 0);

    // Digits below one nano: floor(2^binary * 0.tail) as a carry, and whether it was inexact.
    let mut carry: u128 = 0;
    let mut inexact = false;
    if whole_count < total {
        let multiplier: u128 = 1 << suffix.binary;
        for i in (whole_count..total).rev() {
            let v = digit(i) * multiplier + carry;
            carry = v / 10;
            inexact |= !v.is_multiple_of(10);
        }
        // Zeros between the decimal point of the nano and the first tail digit (when the exponent
        // is very negative): each divides the carry by ten. After 40 of them the carry is gone.
        let implied_zeros = whole_len.saturating_neg().clamp(0, 40);
        for _ in 0..implied_zeros {
            inexact |= !carry.is_multiple_of(10);
            carry /= 10;
        }
    }

    let sum = whole
        .saturating_add(carry)
        .saturating_add(u128::from(inexact));
    sum.min(CAP)
}

/// `min(a * m + b, CAP)`, without overflow.
fn saturating_mul_add(a: u128, m: u128, b: u128) -> u128 {
    a.checked_mul(m)
        .and_then(|x| x.checked_add(b))
        .map_or(CAP, |x| x.min(CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn decimal_si() {
        let cases: &[(&str, i64, i64)] = &[
            // (input, MilliValue, Value)
            ("0", 0, 0),
            ("1", 1000, 1),
            ("100m", 100, 1),
            ("1500m", 1500, 2),
            ("1.5", 1500, 2),
            ("0.5", 500, 1),
            (".5", 500, 1),
            ("5.", 5000, 5),
            ("1k", 1_000_000, 1000),
            ("1M", 1_000_000_000, 1_000_000),
            ("1G", 1_000_000_000_000, 1_000_000_000),
            ("2T", 2_000_000_000_000_000, 2_000_000_000_000),
            ("1P", 1_000_000_000_000_000_000, 1_000_000_000_000_000),
            ("1E", i64::MAX, 1_000_000_000_000_000_000),
            ("1n", 1, 1),
            ("1u", 1, 1),
            ("1000u", 1, 1),
            ("1001u", 2, 1),
            ("0.1m", 1, 1),
            ("128974848", 128_974_848_000, 128_974_848),
            ("129e6", 129_000_000_000, 129_000_000),
            ("123Mi", 128_974_848_000, 128_974_848),
            ("007", 7000, 7),
            ("+3", 3000, 3),
            ("0.000000001", 1, 1),
        ];
        for &(s, milli, value) in cases {
            let quantity = q(s);
            assert_eq!(quantity.milli_value(), milli, "{s} milli");
            assert_eq!(quantity.value(), value, "{s} value");
        }
    }

    #[test]
    fn binary_si() {
        assert_eq!(q("1Ki").value(), 1024);
        assert_eq!(q("1Mi").value(), 1 << 20);
        assert_eq!(q("1Gi").value(), 1_073_741_824);
        assert_eq!(q("1Ti").value(), 1 << 40);
        assert_eq!(q("1Pi").value(), 1 << 50);
        assert_eq!(q("1Ei").value(), 1 << 60);
        assert_eq!(q("1.5Gi").value(), 1_610_612_736);
        assert_eq!(q("0.5Ki").value(), 512);
        assert_eq!(q("200Mi").value(), 209_715_200);
        assert_eq!(q("32Gi").value(), 34_359_738_368);
        // 0.001Ki = 1.024 units.
        assert_eq!(q("0.001Ki").milli_value(), 1024);
        assert_eq!(q("0.001Ki").value(), 2);
        // 0.0001Ki = 0.1024 units, exactly 102_400_000 nanos.
        assert_eq!(q("0.0001Ki").nanos(), 102_400_000);
        // 1e-12 Ki = 1.024e-9 units = 1.024 nanos -> rounds up to 2 nanos.
        assert_eq!(q("0.000000000001Ki").nanos(), 2);
        // 8Ei is 2^63 units: one more than i64::MAX.
        assert_eq!(q("8Ei").value(), i64::MAX);
        assert_eq!(q("7Ei").value(), 7 << 60);
    }

    #[test]
    fn decimal_exponent() {
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q("1E3").value(), 1000);
        assert_eq!(q("1e+3").value(), 1000);
        assert_eq!(q("1e-3").milli_value(), 1);
        assert_eq!(q("1.5e3").value(), 1500);
        assert_eq!(q("12e-1").milli_value(), 1200);
        assert_eq!(q("1e0").value(), 1);
        assert_eq!(q("1e-9").nanos(), 1);
        assert_eq!(q("1e-10").nanos(), 1, "below a nano rounds up");
        assert_eq!(q("1e-100").nanos(), 1);
        assert_eq!(q("0e-100").nanos(), 0);
        assert_eq!(q("0e100").nanos(), 0);
        assert_eq!(q("1e100"), Quantity::MAX);
        assert_eq!(q("1e99999999999999999999999"), Quantity::MAX);
        assert_eq!(q("1e-99999999999999999999999").nanos(), 1);
    }

    #[test]
    fn signs() {
        assert_eq!(q("-1").value(), -1);
        assert_eq!(q("-1").milli_value(), -1000);
        assert_eq!(q("-1.5").value(), -2, "away from zero");
        assert_eq!(q("-100m").milli_value(), -100);
        assert_eq!(q("-100m").value(), -1);
        assert_eq!(q("-0.1m").milli_value(), -1);
        assert_eq!(q("-0").nanos(), 0);
        assert_eq!(q("-1Gi").value(), -1_073_741_824);
        assert!(q("-1").is_negative());
        assert_eq!(q("-1e100"), Quantity::MIN);
        assert_eq!(q("-1e100").value(), i64::MIN);
        assert_eq!(q("-1e100").milli_value(), i64::MIN);
    }

    #[test]
    fn rounding_below_nano_is_exact() {
        // 0.5n rounds up to 1n; 1.5n to 2n; 2n stays.
        assert_eq!(q("0.5n").nanos(), 1);
        assert_eq!(q("1.5n").nanos(), 2);
        assert_eq!(q("2.000n").nanos(), 2);
        assert_eq!(q("1.0000000000000000000000001").nanos(), 1_000_000_001);
        assert_eq!(q("1.0000000000000000000000000").nanos(), 1_000_000_000);
        // Many significant digits survive exactly.
        assert_eq!(
            q("12345678901234567891234n").nanos(),
            12_345_678_901_234_567_891_234
        );
        assert_eq!(
            q("12345678901234567891234n").milli_value(),
            12_345_678_901_234_568
        );
    }

    #[test]
    fn saturation() {
        assert_eq!(
            q("99999999999999999999999999999999999999999"),
            Quantity::MAX
        );
        assert_eq!(q("9223372036854775807").value(), i64::MAX);
        assert_eq!(q("9223372036854775807").milli_value(), i64::MAX);
        assert_eq!(q("9223372036854775808").value(), i64::MAX);
        assert_eq!(q("-9223372036854775808").value(), i64::MIN);
        assert_eq!(q("-9223372036854775809").value(), i64::MIN);
        assert_eq!(
            q("9223372036854775").milli_value(),
            9_223_372_036_854_775_000
        );
        assert_eq!(Quantity::MAX.saturating_add(q("1")), Quantity::MAX);
        assert_eq!(Quantity::MIN.saturating_sub(q("1")), Quantity::MIN);
    }

    #[test]
    fn arithmetic_and_constructors() {
        assert_eq!(q("1").saturating_add(q("500m")), q("1.5"));
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("1.5"), q("1500m"));
        assert!(q("1Mi") > q("1M"));
        assert_eq!(Quantity::from_value(3), q("3"));
        assert_eq!(Quantity::from_milli(100), q("100m"));
        assert_eq!(Quantity::from_nanos(i128::MAX), Quantity::MAX);
        assert_eq!(Quantity::from_nanos(i128::MIN), Quantity::MIN);
        assert_eq!(q("1").saturating_sub(q("1")), Quantity::ZERO);
        assert!(Quantity::ZERO.is_zero());
        assert_eq!("250m".parse::<Quantity>(), Ok(Quantity::from_milli(250)));
        assert_eq!(parse_value("1Gi"), Ok(1_073_741_824));
        assert_eq!(parse_milli_value("0.1m"), Ok(1));
    }

    #[test]
    fn errors() {
        use QuantityError::*;
        let cases: &[(&str, QuantityError)] = &[
            ("", Empty),
            ("-", NoDigits),
            ("+", NoDigits),
            (".", NoDigits),
            ("Gi", NoDigits),
            ("m", NoDigits),
            ("-.e3", NoDigits),
            ("abc", UnexpectedCharacter { index: 0 }),
            (" 1", UnexpectedCharacter { index: 0 }),
            ("1 ", UnexpectedCharacter { index: 1 }),
            ("1 Gi", UnexpectedCharacter { index: 1 }),
            ("1.2.3", UnexpectedCharacter { index: 3 }),
            ("1,5", UnexpectedCharacter { index: 1 }),
            ("--1", UnexpectedCharacter { index: 1 }),
            ("1K", InvalidSuffix),
            ("1Gi3", InvalidSuffix),
            ("1GiB", UnexpectedCharacter { index: 3 }),
            ("1e", InvalidSuffix),
            ("1e+", InvalidSuffix),
            ("1e-", InvalidSuffix),
            ("1e3.5", UnexpectedCharacter { index: 3 }),
            ("1ee3", InvalidSuffix),
            ("1i", InvalidSuffix),
            ("1mm", InvalidSuffix),
            ("1e3m", InvalidSuffix),
            ("1 e3", UnexpectedCharacter { index: 1 }),
            ("1e3x", UnexpectedCharacter { index: 3 }),
        ];
        for (s, expected) in cases {
            assert_eq!(Quantity::parse(s), Err(*expected), "{s:?}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(QuantityError::Empty.to_string(), "empty quantity");
        assert_eq!(
            QuantityError::UnexpectedCharacter { index: 3 }.to_string(),
            "unexpected character at byte 3 of quantity"
        );
        assert!(QuantityError::InvalidSuffix.to_string().contains("Ki"));
    }

    /// Every string of up to four bytes over an alphabet of quantity-ish bytes: no panic, and
    /// every accepted value is consistent with its rounding.
    #[test]
    fn exhaustive_short_strings_never_panic() {
        const ALPHABET: &[u8] = b"0159.+-eEikKmMGnu \xff";
        let mut buf = [0u8; 4];
        for len in 0..=4usize {
            let count = ALPHABET.len().pow(len as u32);
            for mut n in 0..count {
                for slot in buf.iter_mut().take(len) {
                    *slot = ALPHABET[n % ALPHABET.len()];
                    n /= ALPHABET.len();
                }
                let Ok(s) = core::str::from_utf8(&buf[..len]) else {
                    continue;
                };
                if let Ok(quantity) = Quantity::parse(s) {
                    let milli = i128::from(quantity.milli_value());
                    let value = i128::from(quantity.value());
                    let saturated = milli == i128::from(i64::MAX) || milli == i128::from(i64::MIN);
                    assert!(
                        saturated || milli.abs() * 1_000_000 >= quantity.nanos().abs(),
                        "{s:?}"
                    );
                    assert!(
                        saturated || (milli.abs() - 1) * 1_000_000 < quantity.nanos().abs(),
                        "{s:?}"
                    );
                    assert!(value.abs() * 1000 >= milli.abs(), "{s:?}");
                }
            }
        }
    }
}
