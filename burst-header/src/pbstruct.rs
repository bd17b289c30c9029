//! A decoder for the protobuf wire form of `google.protobuf.Struct`, the form Envoy passes when an
//! EnvoyFilter gives the plugin `configuration` with `"@type": type.googleapis.com/google.protobuf.Struct`
//! (as the original filter's deployment does).
//!
//! `Struct { map<string, Value> fields = 1; }`, `Value { oneof { NullValue null_value = 1; double
//! number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5;
//! ListValue list_value = 6; } }`, `ListValue { repeated Value values = 1; }`. Unknown fields are
//! skipped; truncated input, bad UTF-8, groups and nesting deeper than [`MAX_DEPTH`] are errors.

use crate::config::Fields;
use crate::json::Json;

/// Deepest nesting of structs and lists accepted.
pub const MAX_DEPTH: usize = 32;

/// Decodes a serialized `google.protobuf.Struct` into a JSON object. Numbers (doubles) become
/// decimal text with at most millisecond (3-digit) precision — all the configuration needs —
/// which keeps float formatting out of the module.
///
/// # Errors
/// A message that is not a well-formed `Struct`, with the reason.
pub fn decode_struct(bytes: &[u8]) -> Result<Fields, String> {
    decode_struct_at(bytes, 0)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err("truncated varint".into());
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or("truncated field")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field: (number, value), or `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, String> {
        if self.pos >= self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (num, wire) = (key >> 3, key & 7);
        let field = match wire {
            0 => Field::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Field::Fixed64(u64::from_le_bytes(a))
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Field::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Field::Fixed32
            }
            w => {
                return Err(format!(
                    "field {num} has wire type {w} (only 0, 1, 2 and 5 are valid here)"
                ));
            }
        };
        Ok(Some((num, field)))
    }
}

fn decode_struct_at(bytes: &[u8], depth: usize) -> Result<Fields, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH}"));
    }
    let mut r = Reader { bytes, pos: 0 };
    let mut map = Fields::new();
    while let Some((num, field)) = r.next()? {
        match (num, field) {
            (1, Field::Bytes(entry)) => {
                let (k, v) = decode_entry(entry, depth)?;
                map.insert(k, v);
            }
            (1, _) => return Err("Struct.fields is not length-delimited".into()),
            _ => {}
        }
    }
    Ok(map)
}

fn decode_entry(bytes: &[u8], depth: usize) -> Result<(String, Json), String> {
    let mut r = Reader { bytes, pos: 0 };
    let (mut key, mut value) = (String::new(), Json::Null);
    while let Some((num, field)) = r.next()? {
        match (num, field) {
            (1, Field::Bytes(b)) => key = utf8(b)?,
            (2, Field::Bytes(b)) => value = decode_value(b, depth)?,
            (1 | 2, _) => return Err("map entry field is not length-delimited".into()),
            _ => {}
        }
    }
    Ok((key, value))
}

fn decode_value(bytes: &[u8], depth: usize) -> Result<Json, String> {
    let mut r = Reader { bytes, pos: 0 };
    let mut value = Json::Null;
    while let Some((num, field)) = r.next()? {
        value = match (num, field) {
            (1, Field::Varint(_)) => Json::Null,
            (2, Field::Fixed64(bits)) => Json::Number(number_text(f64::from_bits(bits))?),
            (3, Field::Bytes(b)) => Json::String(utf8(b)?),
            (4, Field::Varint(v)) => Json::Bool(v != 0),
            (5, Field::Bytes(b)) => Json::Object(decode_struct_at(b, depth + 1)?),
            (6, Field::Bytes(b)) => decode_list(b, depth + 1)?,
            (1..=6, _) => return Err(format!("Value field {num} has the wrong wire type")),
            _ => continue,
        };
    }
    Ok(value)
}

/// A double as decimal text rounded to 3 fractional digits (`5`, `0.25`, `-1.5`).
fn number_text(f: f64) -> Result<String, String> {
    if !f.is_finite() || f.abs() >= 9.0e15 {
        return Err("number_value is not finite or too large".into());
    }
    let millis = (f.abs() * 1000.0).round() as u64;
    let sign = if f < 0.0 && millis != 0 { "-" } else { "" };
    let (whole, frac) = (millis / 1000, millis % 1000);
    Ok(if frac == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:03}")
    })
}

fn decode_list(bytes: &[u8], depth: usize) -> Result<Json, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH}"));
    }
    let mut r = Reader { bytes, pos: 0 };
    let mut out = Vec::new();
    while let Some((num, field)) = r.next()? {
        match (num, field) {
            (1, Field::Bytes(b)) => out.push(decode_value(b, depth)?),
            (1, _) => return Err("ListValue.values is not length-delimited".into()),
            _ => {}
        }
    }
    Ok(Json::Array(out))
}

fn utf8(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a string is not valid UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    // A tiny encoder, for the tests only.
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    fn len_field(num: u64, body: &[u8], out: &mut Vec<u8>) {
        varint(num << 3 | 2, out);
        varint(body.len() as u64, out);
        out.extend_from_slice(body);
    }
    pub(crate) fn encode_value(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        match v {
            Value::Null => {
                varint(1 << 3, &mut out);
                varint(0, &mut out);
            }
            Value::Number(n) => {
                varint(2 << 3 | 1, &mut out);
                out.extend_from_slice(&n.as_f64().unwrap().to_le_bytes());
            }
            Value::String(s) => len_field(3, s.as_bytes(), &mut out),
            Value::Bool(b) => {
                varint(4 << 3, &mut out);
                varint(u64::from(*b), &mut out);
            }
            Value::Object(m) => len_field(5, &encode_struct(m), &mut out),
            Value::Array(a) => {
                let mut list = Vec::new();
                for x in a {
                    len_field(1, &encode_value(x), &mut list);
                }
                len_field(6, &list, &mut out);
            }
        }
        out
    }
    pub(crate) fn encode_struct(m: &Map<String, Value>) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in m {
            let mut entry = Vec::new();
            len_field(1, k.as_bytes(), &mut entry);
            len_field(2, &encode_value(v), &mut entry);
            len_field(1, &entry, &mut out);
        }
        out
    }

    #[test]
    fn round_trip() {
        let v = json!({
            "service_cluster": "healthcluster", "cache_seconds": 5, "user_agent": "HTTPie/",
            "n": null, "b": true, "nested": {"list": [1.5, "x", false, {"k": []}]}
        });
        let Value::Object(m) = &v else { unreachable!() };
        let got = decode_struct(&encode_struct(m)).unwrap();
        let n = |s: &str| Json::Number(s.into());
        let want: Fields = [
            (
                "service_cluster".to_string(),
                Json::String("healthcluster".into()),
            ),
            ("cache_seconds".to_string(), n("5")),
            ("user_agent".to_string(), Json::String("HTTPie/".into())),
            ("n".to_string(), Json::Null),
            ("b".to_string(), Json::Bool(true)),
            (
                "nested".to_string(),
                Json::Object(
                    [(
                        "list".to_string(),
                        Json::Array(vec![
                            n("1.500"),
                            Json::String("x".into()),
                            Json::Bool(false),
                            Json::Object([("k".to_string(), Json::Array(vec![]))].into()),
                        ]),
                    )]
                    .into(),
                ),
            ),
        ]
        .into();
        assert_eq!(got, want);
        assert_eq!(decode_struct(&[]).unwrap(), Fields::new());
        assert_eq!(number_text(-0.0004).unwrap(), "0");
        assert_eq!(number_text(-2.25).unwrap(), "-2.250");
        assert!(number_text(f64::NAN).is_err());
    }

    #[test]
    fn malformed() {
        let Value::Object(m) = json!({"a": "bcd"}) else {
            unreachable!()
        };
        let bytes = encode_struct(&m);
        for cut in 1..bytes.len() {
            assert!(decode_struct(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            decode_struct(&[0x0b]).unwrap_err(),
            "field 1 has wire type 3 (only 0, 1, 2 and 5 are valid here)"
        );
        assert_eq!(
            decode_struct(&[0x08, 0x01]).unwrap_err(),
            "Struct.fields is not length-delimited"
        );
        assert_eq!(
            decode_struct(&[0x0a, 0x03, 0x0a, 0x01, 0xff]).unwrap_err(),
            "a string is not valid UTF-8"
        );
        // Deep nesting is refused, not a stack overflow.
        let mut v = json!(1);
        for _ in 0..100 {
            v = json!({"x": v});
        }
        let Value::Object(m) = v else { unreachable!() };
        assert_eq!(
            decode_struct(&encode_struct(&m)).unwrap_err(),
            "nested deeper than 32"
        );
    }
}
