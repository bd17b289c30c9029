//! A minimal protobuf writer, for tests and the fake host: guests only read.

/// Builds one protobuf message field by field, in the order the calls are made.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.raw_varint((u64::from(field) << 3) | u64::from(wire_type));
    }

    /// A varint field (uint64, or any integer already widened).
    pub fn varint(&mut self, field: u32, v: u64) -> &mut Self {
        self.key(field, 0);
        self.raw_varint(v);
        self
    }

    /// An int32 field; negative values are sign-extended to ten bytes, as protobuf requires.
    pub fn int32(&mut self, field: u32, v: i32) -> &mut Self {
        self.varint(field, i64::from(v) as u64)
    }

    /// An int64 field.
    pub fn int64(&mut self, field: u32, v: i64) -> &mut Self {
        self.varint(field, v as u64)
    }

    /// A bool field.
    pub fn bool(&mut self, field: u32, v: bool) -> &mut Self {
        self.varint(field, u64::from(v))
    }

    /// A length-delimited field with raw bytes.
    pub fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.raw_varint(v.len() as u64);
        self.buf.extend_from_slice(v);
        self
    }

    /// A string field.
    pub fn string(&mut self, field: u32, v: &str) -> &mut Self {
        self.bytes(field, v.as_bytes())
    }

    /// An embedded message field, built by `f`.
    pub fn message(&mut self, field: u32, f: impl FnOnce(&mut Writer)) -> &mut Self {
        let mut inner = Writer::new();
        f(&mut inner);
        self.bytes(field, &inner.buf)
    }

    /// One entry of a `map<string, string>` field.
    pub fn string_entry(&mut self, field: u32, key: &str, value: &str) -> &mut Self {
        self.message(field, |e| {
            e.string(1, key).string(2, value);
        })
    }

    /// One entry of a `map<string, Quantity>` field.
    pub fn quantity_entry(&mut self, field: u32, key: &str, quantity: &str) -> &mut Self {
        self.message(field, |e| {
            e.string(1, key).message(2, |q| {
                q.string(1, quantity);
            });
        })
    }

    /// The encoded message.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}
