//! A schema-driven JSON → protobuf transcoder that writes the bytes gogo's generated marshallers
//! write for the same object (see `tools/gen_schema.py` for the rules and RATIONALE.md for why).

use super::quantity;
use super::schema_types::{Card, Field, Msg, Ty};
use super::time::{GO_ZERO_UNIX, parse_rfc3339};
use serde_json::{Map, Value};

/// A JSON value that the Go API types would not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ObjectError(pub(crate) String);

/// Encodes the JSON object `json` as the protobuf message `msg`.
pub(crate) fn encode(msg: &'static Msg, json: &Value) -> Result<Vec<u8>, ObjectError> {
    let obj = match json {
        Value::Object(o) => Some(o),
        Value::Null => None,
        other => {
            return Err(ObjectError(format!(
                "json: cannot unmarshal {} into Go value of type v1.{}",
                kind(other),
                msg.name
            )));
        }
    };
    let mut out = Vec::with_capacity(256);
    let mut path = Path {
        root: msg.name,
        parts: Vec::new(),
        key: None,
    };
    message(msg, obj, &mut path, &mut out)?;
    Ok(out)
}

struct Path {
    root: &'static str,
    parts: Vec<&'static str>,
    /// The key of the map entry being encoded, named by [`Path::invalid`].
    key: Option<String>,
}

impl Path {
    fn mismatch(&self, v: &Value, go_type: &str) -> ObjectError {
        let mut field = String::from(self.root);
        for p in &self.parts {
            field.push('.');
            field.push_str(p);
        }
        ObjectError(format!(
            "json: cannot unmarshal {} into Go struct field {field} of type {go_type}",
            kind(v)
        ))
    }

    fn invalid(&self, what: String) -> ObjectError {
        let mut field = String::from(self.root);
        for p in &self.parts {
            field.push('.');
            field.push_str(p);
        }
        if let Some(k) = &self.key {
            field.push_str(&format!("[{k:?}]"));
        }
        ObjectError(format!("{field}: {what}"))
    }
}

use gotext::json::type_name as kind;

/// Finds a field the way Go's `encoding/json` does: exact name first, then case-insensitively.
fn lookup<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_key(out: &mut Vec<u8>, num: u32, wire: u8) {
    put_varint(out, (u64::from(num) << 3) | u64::from(wire));
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, num: u32, b: &[u8]) {
    put_key(out, num, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn message(
    msg: &'static Msg,
    obj: Option<&Map<String, Value>>,
    path: &mut Path,
    out: &mut Vec<u8>,
) -> Result<(), ObjectError> {
    for f in msg.fields {
        if f.card == Card::Inline {
            let Ty::Msg(sub) = f.ty else {
                continue;
            };
            let mut buf = Vec::new();
            message(sub, obj, path, &mut buf)?;
            put_bytes(out, f.num, &buf);
            continue;
        }
        let v = obj.and_then(|o| lookup(o, f.json)).filter(|v| !v.is_null());
        path.parts.push(f.json);
        match f.card {
            Card::Always => single(f, v, path, out)?,
            Card::Optional => {
                if let Some(v) = v {
                    single(f, Some(v), path, out)?;
                }
            }
            Card::Repeated => match v {
                None => {}
                Some(Value::Array(items)) => {
                    for item in items {
                        // A null element decodes to the zero value and is still emitted.
                        single(f, Some(item).filter(|v| !v.is_null()), path, out)?;
                    }
                }
                Some(other) => return Err(path.mismatch(other, "slice")),
            },
            Card::Map => match v {
                None => {}
                Some(Value::Object(m)) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    for k in keys {
                        let mut entry = Vec::new();
                        put_bytes(&mut entry, 1, k.as_bytes());
                        let value = Some(&m[k]).filter(|v| !v.is_null());
                        let vf = Field {
                            json: f.json,
                            num: 2,
                            card: Card::Always,
                            ty: f.ty,
                        };
                        path.key = Some(k.clone());
                        let r = single(&vf, value, path, &mut entry);
                        path.key = None;
                        r?;
                        put_bytes(out, f.num, &entry);
                    }
                }
                Some(other) => return Err(path.mismatch(other, "map")),
            },
            Card::Inline => {}
        }
        path.parts.pop();
    }
    Ok(())
}

/// Emits one value of field `f`; `None` means the Go zero value.
fn single(
    f: &Field,
    v: Option<&Value>,
    path: &mut Path,
    out: &mut Vec<u8>,
) -> Result<(), ObjectError> {
    match f.ty {
        Ty::Str => {
            let s = match v {
                None => "",
                Some(Value::String(s)) => s.as_str(),
                Some(other) => return Err(path.mismatch(other, "string")),
            };
            put_bytes(out, f.num, s.as_bytes());
        }
        Ty::Bool => {
            let b = match v {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => return Err(path.mismatch(other, "bool")),
            };
            put_key(out, f.num, 0);
            out.push(u8::from(b));
        }
        Ty::Int32 | Ty::Int64 => {
            let (lo, hi, go) = if matches!(f.ty, Ty::Int32) {
                (i64::from(i32::MIN), i64::from(i32::MAX), "int32")
            } else {
                (i64::MIN, i64::MAX, "int64")
            };
            let n = match v {
                None => 0,
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(n) if (lo..=hi).contains(&n) => n,
                    _ => {
                        return Err(path.invalid(format!(
                            "json: cannot unmarshal number {n} into Go value of type {go}"
                        )));
                    }
                },
                Some(other) => return Err(path.mismatch(other, go)),
            };
            put_key(out, f.num, 0);
            put_varint(out, n as u64);
        }
        Ty::Bytes => {
            let b = match v {
                None => Vec::new(),
                Some(Value::String(s)) => {
                    base64_decode(s).ok_or_else(|| path.invalid("illegal base64 data".into()))?
                }
                Some(other) => return Err(path.mismatch(other, "[]uint8")),
            };
            put_bytes(out, f.num, &b);
        }
        Ty::Time | Ty::MicroTime => {
            let (secs, nanos) = match v {
                None => (GO_ZERO_UNIX, 0),
                Some(Value::String(s)) => parse_rfc3339(s).map_err(|e| path.invalid(e))?,
                Some(other) => return Err(path.mismatch(other, "v1.Time")),
            };
            let mut buf = Vec::new();
            if secs != GO_ZERO_UNIX || nanos != 0 {
                let nanos = if matches!(f.ty, Ty::MicroTime) {
                    nanos / 1000 * 1000
                } else {
                    0
                };
                put_key(&mut buf, 1, 0);
                put_varint(&mut buf, secs as u64);
                put_key(&mut buf, 2, 0);
                put_varint(&mut buf, u64::from(nanos));
            }
            put_bytes(out, f.num, &buf);
        }
        Ty::Quantity => {
            let s = match v {
                None => "0".to_string(),
                Some(Value::String(s)) => quantity::canonical(s.trim())
                    .map_err(|e| path.invalid(format!("{s:?}: {e}")))?,
                Some(Value::Number(n)) => quantity::canonical(&n.to_string())
                    .map_err(|e| path.invalid(format!("{n}: {e}")))?,
                Some(other) => return Err(path.mismatch(other, "resource.Quantity")),
            };
            let mut buf = Vec::new();
            put_bytes(&mut buf, 1, s.as_bytes());
            put_bytes(out, f.num, &buf);
        }
        Ty::IntOrString => {
            let (ty, int_val, str_val) = match v {
                None => (0u64, 0i64, ""),
                Some(Value::Number(n)) => match n.as_i64().filter(|n| i32::try_from(*n).is_ok()) {
                    Some(n) => (0, n, ""),
                    None => return Err(path.mismatch(&Value::Number(n.clone()), "int32")),
                },
                Some(Value::String(s)) => (1, 0, s.as_str()),
                Some(other) => return Err(path.mismatch(other, "intstr.IntOrString")),
            };
            let mut buf = Vec::new();
            put_key(&mut buf, 1, 0);
            put_varint(&mut buf, ty);
            put_key(&mut buf, 2, 0);
            put_varint(&mut buf, int_val as u64);
            put_bytes(&mut buf, 3, str_val.as_bytes());
            put_bytes(out, f.num, &buf);
        }
        Ty::Msg(sub) => {
            let obj = match v {
                None => None,
                Some(Value::Object(o)) => Some(o),
                Some(other) => return Err(path.mismatch(other, &format!("v1.{}", sub.name))),
            };
            let mut buf = Vec::new();
            message(sub, obj, path, &mut buf)?;
            put_bytes(out, f.num, &buf);
        }
    }
    Ok(())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    let trimmed = s.trim_end_matches('=');
    if !s.len().is_multiple_of(4) || s.len() - trimmed.len() > 2 {
        return None;
    }
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("a"), None);
    }

    #[test]
    fn varints() {
        let mut out = Vec::new();
        put_varint(&mut out, -1i64 as u64);
        assert_eq!(
            out,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
    }
}
