//! Kubernetes `IntOrString` as Agones uses it for `bufferSize`, with both of its parsers: the strict
//! one that admission validation uses and the lenient legacy one that the autoscaler applies.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::go::{AtoiError, atoi, atoi_error_text, quote};

/// An integer or a string (usually a percentage such as `"20%"`), as in a Kubernetes manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrString {
    /// A JSON number (int32 in Kubernetes).
    Int(i32),
    /// A JSON string.
    String(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl fmt::Display for IntOrString {
    /// Go's `IntOrString.String()`: the string, or the decimal integer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(i) => s.serialize_i32(*i),
            IntOrString::String(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an int32 or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("{v} does not fit in int32")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("{v} does not fit in int32")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl IntOrString {
    /// Go's `IntValue()`: the int, or `Atoi` of the string (0 when it does not parse).
    pub fn int_value(&self) -> i64 {
        match self {
            IntOrString::Int(i) => i64::from(*i),
            IntOrString::String(s) => atoi(s).unwrap_or(0),
        }
    }

    /// The **lenient** apply-time parser (`intstr.GetValueFromIntOrPercent(v, 100, round_up)`):
    /// every `%` is removed and the rest must be an integer, so `"20"` also means 20 %. Returns
    /// the value and whether it was a percentage. Error text is Go's, e.g.
    /// `invalid value for IntOrString: invalid value "asd": strconv.Atoi: parsing "asd": invalid syntax`.
    pub fn lenient_value(&self, round_up: bool) -> Result<(i64, bool), String> {
        match self {
            IntOrString::Int(i) => Ok((i64::from(*i), false)),
            IntOrString::String(s) => {
                let stripped = s.replace('%', "");
                match atoi(&stripped) {
                    Ok(v) => Ok((scale_percent(v, round_up), true)),
                    Err(e) => Err(format!(
                        "invalid value for IntOrString: invalid value {}: {}",
                        quote(s),
                        atoi_error_text(&stripped, &e)
                    )),
                }
            }
        }
    }

    /// The **strict** validation parser (`intstr.GetScaledValueFromIntOrPercent(v, 100, true)`):
    /// a string must be exactly `<int>%`.
    pub fn strict_value(&self) -> Result<(i64, bool), String> {
        match self {
            IntOrString::Int(i) => Ok((i64::from(*i), false)),
            IntOrString::String(s) => {
                let Some(num) = s.strip_suffix('%') else {
                    return Err(
                        "invalid value for IntOrString: invalid type: string is not a percentage"
                            .to_string(),
                    );
                };
                match atoi(num) {
                    Ok(v) => Ok((scale_percent(v, true), true)),
                    Err(AtoiError::Syntax | AtoiError::Range) => Err(format!(
                        "invalid value for IntOrString: invalid value for percent: {}",
                        quote(s)
                    )),
                }
            }
        }
    }
}

/// `ceil/floor(float64(v) * 100 / 100)` as Go computes it (identity for all but huge values).
fn scale_percent(v: i64, round_up: bool) -> i64 {
    let x = v as f64 * 100.0 / 100.0;
    if round_up {
        x.ceil() as i64
    } else {
        x.floor() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_and_strict_disagree_as_in_go() {
        let s = IntOrString::String("20".into());
        assert_eq!(s.lenient_value(true), Ok((20, true)));
        assert!(s.strict_value().is_err());
        let s = IntOrString::String("20%%".into());
        assert_eq!(s.lenient_value(true), Ok((20, true)));
        assert!(s.strict_value().is_err());
        assert_eq!(
            IntOrString::String("asd".into()).lenient_value(true),
            Err("invalid value for IntOrString: invalid value \"asd\": strconv.Atoi: parsing \"asd\": invalid syntax".into())
        );
        assert_eq!(
            IntOrString::String("99%".into()).strict_value(),
            Ok((99, true))
        );
        assert!(IntOrString::String("99.0%".into()).strict_value().is_err());
    }

    #[test]
    fn serde_roundtrip() {
        let v: IntOrString = serde_json::from_str("5").unwrap();
        assert_eq!(v, IntOrString::Int(5));
        let v: IntOrString = serde_json::from_str("\"5%\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"5%\"");
        assert!(serde_json::from_str::<IntOrString>("5000000000").is_err());
    }
}
