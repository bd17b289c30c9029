//! The protobuf wire format, read without copying.
//!
//! Only what Kubernetes objects use is interpreted (varints and length-delimited fields); fixed-width
//! fields are skipped, and the deprecated group wire types are an error. Every read is bounds-checked:
//! malformed bytes give a [`DecodeError`], never a panic.

use core::fmt;

/// Why a protobuf message could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes end in the middle of a field.
    Truncated,
    /// A varint is longer than ten bytes.
    VarintTooLong,
    /// Field number 0, or a number beyond protobuf's 2^29 - 1.
    InvalidFieldNumber,
    /// A wire type other than 0 (varint), 1 (64-bit), 2 (length-delimited) or 5 (32-bit).
    UnsupportedWireType(u8),
    /// A field has a wire type other than its schema's (`field` is the field number).
    WrongWireType {
        /// The field number.
        field: u32,
    },
    /// A view was nested deeper than the reader supports (never the case for Kubernetes types).
    PathTooDeep,
    /// A string field is not valid UTF-8.
    InvalidUtf8 {
        /// The field number.
        field: u32,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("unexpected end of data"),
            Self::VarintTooLong => f.write_str("varint longer than 10 bytes"),
            Self::InvalidFieldNumber => f.write_str("invalid field number"),
            Self::UnsupportedWireType(t) => write!(f, "unsupported wire type {t}"),
            Self::WrongWireType { field } => write!(f, "field {field} has the wrong wire type"),
            Self::InvalidUtf8 { field } => write!(f, "field {field} is not valid UTF-8"),
            Self::PathTooDeep => f.write_str("message nested too deeply"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The value of one field as it appears on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Wire type 0: int32, int64, uint32, uint64, bool, enum.
    Varint(u64),
    /// Wire type 1: fixed64, sfixed64, double (unused by Kubernetes objects).
    Fixed64(u64),
    /// Wire type 2: string, bytes, embedded message, map entry, packed repeated.
    Bytes(&'a [u8]),
    /// Wire type 5: fixed32, sfixed32, float (unused by Kubernetes objects).
    Fixed32(u32),
}

impl<'a> Value<'a> {
    /// The bytes of a length-delimited field.
    pub fn bytes(self, field: u32) -> Result<&'a [u8], DecodeError> {
        match self {
            Value::Bytes(b) => Ok(b),
            _ => Err(DecodeError::WrongWireType { field }),
        }
    }

    /// A string field, checked for UTF-8.
    pub fn str(self, field: u32) -> Result<&'a str, DecodeError> {
        core::str::from_utf8(self.bytes(field)?).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    /// A varint field.
    pub fn varint(self, field: u32) -> Result<u64, DecodeError> {
        match self {
            Value::Varint(v) => Ok(v),
            _ => Err(DecodeError::WrongWireType { field }),
        }
    }
}

/// Iterates over the fields of one message, in wire order.
///
/// After the first error the iterator yields that error and then stops.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Fields of the message encoded in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Fields { rest: bytes }
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for (i, &byte) in self.rest.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok(value);
            }
        }
        if self.rest.len() < 10 {
            Err(DecodeError::Truncated)
        } else {
            Err(DecodeError::VarintTooLong)
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn field(&mut self) -> Result<(u32, Value<'a>), DecodeError> {
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(DecodeError::InvalidFieldNumber);
        }
        let value = match (key & 7) as u8 {
            0 => Value::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Value::Fixed64(u64::from_le_bytes([
                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                ]))
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated)?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            other => return Err(DecodeError::UnsupportedWireType(other)),
        };
        Ok((number as u32, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = self.field();
        if item.is_err() {
            self.rest = &[];
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_wire_type() {
        // field 1 varint 150, field 2 bytes "hi", field 3 fixed64, field 4 fixed32
        let bytes = [
            0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x19, 1, 0, 0, 0, 0, 0, 0, 0, 0x25, 2, 0, 0,
            0,
        ];
        let fields: Vec<_> = Fields::new(&bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            fields,
            vec![
                (1, Value::Varint(150)),
                (2, Value::Bytes(b"hi")),
                (3, Value::Fixed64(1)),
                (4, Value::Fixed32(2)),
            ]
        );
    }

    #[test]
    fn negative_int32_is_a_ten_byte_varint() {
        let bytes = [
            0xc8, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        let (n, v) = Fields::new(&bytes).next().unwrap().unwrap();
        assert_eq!(n, 25);
        assert_eq!(v.varint(25).unwrap() as i64 as i32, -1);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let cases: &[(&[u8], DecodeError)] = &[
            (&[0x0a, 0x05, b'a'], DecodeError::Truncated),
            (&[0x08], DecodeError::Truncated),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
                DecodeError::VarintTooLong,
            ),
            (&[0x00, 0x01], DecodeError::InvalidFieldNumber),
            (&[0x0b], DecodeError::UnsupportedWireType(3)),
            (
                &[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
                DecodeError::Truncated,
            ),
        ];
        for (bytes, want) in cases {
            let mut it = Fields::new(bytes);
            assert_eq!(it.next(), Some(Err(want.clone())), "{bytes:02x?}");
            assert_eq!(it.next(), None);
        }
    }

    #[test]
    fn wrong_wire_type_and_bad_utf8_are_reported() {
        assert_eq!(
            Value::Varint(1).str(7),
            Err(DecodeError::WrongWireType { field: 7 })
        );
        assert_eq!(
            Value::Bytes(&[0xff]).str(1),
            Err(DecodeError::InvalidUtf8 { field: 1 })
        );
        assert_eq!(
            Value::Bytes(b"x").varint(2),
            Err(DecodeError::WrongWireType { field: 2 })
        );
    }
}
