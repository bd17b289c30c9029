//! Zero-copy views of embedded messages, repeated fields and maps.
//!
//! A [`Message`] is a byte slice plus a path of field numbers below it. Protobuf merges every
//! occurrence of a singular embedded message, so `pod.spec()` must see the fields of *all* `spec`
//! occurrences, in order; walking the path over the original bytes does exactly that without copying
//! or allocating. For scalar fields the last occurrence wins; for maps the last entry of a key wins
//! (both as Go's decoder does).

use super::wire::{DecodeError, Fields, Value};

/// The deepest path a view can have below its root bytes (Kubernetes objects need at most 4).
const MAX_DEPTH: usize = 8;

/// A read-only view of one protobuf message: every occurrence of `path` below `root`, merged.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    root: &'a [u8],
    path: [u32; MAX_DEPTH],
    depth: u8,
    /// Set when a view was asked to go deeper than `MAX_DEPTH`; reading it then fails.
    too_deep: bool,
}

impl<'a> Message<'a> {
    /// A view of the message encoded in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Message {
            root: bytes,
            path: [0; MAX_DEPTH],
            depth: 0,
            too_deep: false,
        }
    }

    /// The embedded message in `field`; empty when the field is absent.
    pub fn message(&self, field: u32) -> Message<'a> {
        let mut child = *self;
        match child.path.get_mut(usize::from(child.depth)) {
            Some(slot) => {
                *slot = field;
                child.depth += 1;
            }
            None => child.too_deep = true,
        }
        child
    }

    /// Every occurrence of `field`, in wire order.
    pub fn values(&self, field: u32) -> Occurrences<'a> {
        let target = self.message(field);
        Occurrences {
            path: target.path,
            depth: target.depth,
            stack: [Fields::new(&[]); MAX_DEPTH + 1],
            level: 0,
            state: if target.too_deep {
                State::TooDeep
            } else {
                State::Start(self.root)
            },
        }
    }

    /// The last occurrence of `field`, if any.
    pub fn last(&self, field: u32) -> Result<Option<Value<'a>>, DecodeError> {
        let mut last = None;
        for value in self.values(field) {
            last = Some(value?);
        }
        Ok(last)
    }

    /// A string field; `""` when absent (proto2 cannot tell absent from empty here, and neither
    /// can the host's buffer protocol).
    pub fn str(&self, field: u32) -> Result<&'a str, DecodeError> {
        match self.last(field)? {
            Some(v) => v.str(field),
            None => Ok(""),
        }
    }

    /// A varint field, or `None` when absent.
    pub fn varint(&self, field: u32) -> Result<Option<u64>, DecodeError> {
        self.last(field)?.map(|v| v.varint(field)).transpose()
    }

    /// A bool field; `false` when absent.
    pub fn bool(&self, field: u32) -> Result<bool, DecodeError> {
        Ok(self.varint(field)?.is_some_and(|v| v != 0))
    }

    /// An int32 field (Go truncates the varint to 32 bits), or `None` when absent.
    pub fn int32(&self, field: u32) -> Result<Option<i32>, DecodeError> {
        Ok(self.varint(field)?.map(|v| v as i32))
    }

    /// An int64 field, or `None` when absent.
    pub fn int64(&self, field: u32) -> Result<Option<i64>, DecodeError> {
        Ok(self.varint(field)?.map(|v| v as i64))
    }

    /// Each element of a repeated message field, as its own message.
    pub fn repeated(&self, field: u32) -> Repeated<'a> {
        Repeated {
            field,
            inner: self.values(field),
        }
    }

    /// A `map<string, string>` field.
    pub fn string_map(&self, field: u32) -> Map<'a> {
        Map {
            entries: self.repeated(field),
            quantity: false,
        }
    }

    /// A `map<string, Quantity>` field, read as the quantities' canonical strings.
    pub fn quantity_map(&self, field: u32) -> Map<'a> {
        Map {
            entries: self.repeated(field),
            quantity: true,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum State<'a> {
    Start(&'a [u8]),
    Walking,
    Done,
    TooDeep,
}

/// Iterator over every occurrence of a field path, in wire order. See [`Message::values`].
#[derive(Clone, Debug)]
pub struct Occurrences<'a> {
    path: [u32; MAX_DEPTH],
    depth: u8,
    stack: [Fields<'a>; MAX_DEPTH + 1],
    level: usize,
    state: State<'a>,
}

impl<'a> Iterator for Occurrences<'a> {
    type Item = Result<Value<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.state {
            State::Start(root) => {
                self.stack[0] = Fields::new(root);
                self.state = State::Walking;
            }
            State::Walking => {}
            State::Done => return None,
            State::TooDeep => {
                self.state = State::Done;
                return Some(Err(DecodeError::PathTooDeep));
            }
        }
        let last = usize::from(self.depth).saturating_sub(1);
        loop {
            let item = self.stack.get_mut(self.level).and_then(Iterator::next);
            match item {
                None => {
                    if self.level == 0 {
                        self.state = State::Done;
                        return None;
                    }
                    self.level -= 1;
                }
                Some(Err(e)) => {
                    self.state = State::Done;
                    return Some(Err(e));
                }
                Some(Ok((number, value))) => {
                    if number != self.path[self.level] {
                        continue;
                    }
                    if self.level == last {
                        return Some(Ok(value));
                    }
                    match value.bytes(number) {
                        Ok(bytes) => {
                            self.level += 1;
                            self.stack[self.level] = Fields::new(bytes);
                        }
                        Err(e) => {
                            self.state = State::Done;
                            return Some(Err(e));
                        }
                    }
                }
            }
        }
    }
}

/// Iterator over the elements of a repeated message field. See [`Message::repeated`].
#[derive(Clone, Debug)]
pub struct Repeated<'a> {
    field: u32,
    inner: Occurrences<'a>,
}

impl<'a> Iterator for Repeated<'a> {
    type Item = Result<Message<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let field = self.field;
        self.inner
            .next()
            .map(|v| v.and_then(|v| v.bytes(field)).map(Message::new))
    }
}

/// A protobuf map with string keys, read with Go's semantics: the last entry of a key wins.
#[derive(Clone, Debug)]
pub struct Map<'a> {
    entries: Repeated<'a>,
    quantity: bool,
}

impl<'a> Map<'a> {
    fn entry(&self, entry: Message<'a>) -> Result<(&'a str, &'a str), DecodeError> {
        let key = entry.str(1)?;
        let value = if self.quantity {
            entry.message(2).str(1)?
        } else {
            entry.str(2)?
        };
        Ok((key, value))
    }

    /// The value of `key`, or `None` when the map has no such key.
    pub fn get(&self, key: &str) -> Result<Option<&'a str>, DecodeError> {
        let mut found = None;
        for entry in self.entries.clone() {
            let entry = entry?;
            // Compare keys before decoding values: most entries are not the one asked for.
            if entry.str(1)? == key {
                found = Some(self.entry(entry)?.1);
            }
        }
        Ok(found)
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.clone().next().is_none()
    }

    /// Every `(key, value)` pair, in wire order, each key once with its last value.
    ///
    /// Duplicate keys never come from a real host (it writes sorted, unique keys); finding them
    /// costs O(n²) in the number of entries, which is fine for label-sized maps.
    pub fn iter(&self) -> impl Iterator<Item = Result<(&'a str, &'a str), DecodeError>> + 'a {
        let map = self.clone();
        let mut rest = self.entries.clone();
        core::iter::from_fn(move || {
            loop {
                let entry = match rest.next()? {
                    Ok(entry) => entry,
                    Err(e) => return Some(Err(e)),
                };
                let (key, value) = match map.entry(entry) {
                    Ok(kv) => kv,
                    Err(e) => return Some(Err(e)),
                };
                let mut later = rest.clone();
                let shadowed = later.any(|e| e.and_then(|e| e.str(1)).is_ok_and(|k| k == key));
                if !shadowed {
                    return Some(Ok((key, value)));
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::encode::Writer;

    #[test]
    fn repeated_singular_messages_merge_and_last_scalar_wins() {
        // {1: {1: "a", 2: "x"}} then {1: {1: "b"}}: field 1.1 = "b", 1.2 = "x".
        let mut w = Writer::new();
        w.message(1, |m| {
            m.string(1, "a");
            m.string(2, "x");
        });
        w.message(1, |m| {
            m.string(1, "b");
        });
        let bytes = w.finish();
        let root = Message::new(&bytes);
        assert_eq!(root.message(1).str(1).unwrap(), "b");
        assert_eq!(root.message(1).str(2).unwrap(), "x");
        assert_eq!(root.message(1).str(3).unwrap(), "");
        assert_eq!(root.message(2).str(1).unwrap(), "");
    }

    #[test]
    fn maps_follow_go_last_entry_wins() {
        let mut w = Writer::new();
        for (k, v) in [("a", "1"), ("b", "2"), ("a", "3")] {
            w.message(11, |e| {
                e.string(1, k);
                e.string(2, v);
            });
        }
        let bytes = w.finish();
        let map = Message::new(&bytes).string_map(11);
        assert_eq!(map.get("a").unwrap(), Some("3"));
        assert_eq!(map.get("b").unwrap(), Some("2"));
        assert_eq!(map.get("c").unwrap(), None);
        let pairs: Vec<_> = map.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(pairs, vec![("b", "2"), ("a", "3")]);
    }

    #[test]
    fn quantity_maps_read_the_canonical_string() {
        let mut w = Writer::new();
        w.message(1, |e| {
            e.string(1, "cpu");
            e.message(2, |q| {
                q.string(1, "100m");
            });
        });
        let bytes = w.finish();
        assert_eq!(
            Message::new(&bytes).quantity_map(1).get("cpu").unwrap(),
            Some("100m")
        );
    }

    #[test]
    fn errors_deep_inside_surface() {
        // field 1 is a message whose content is truncated.
        let bytes = [0x0a, 0x02, 0x0a, 0x05];
        assert_eq!(
            Message::new(&bytes).message(1).str(1),
            Err(DecodeError::Truncated)
        );
        // field 1 as a varint where a message is expected.
        let bytes = [0x08, 0x01];
        assert_eq!(
            Message::new(&bytes).message(1).str(1),
            Err(DecodeError::WrongWireType { field: 1 })
        );
    }

    #[test]
    fn paths_deeper_than_the_limit_fail_cleanly() {
        let mut m = Message::new(&[]);
        for _ in 0..MAX_DEPTH {
            m = m.message(1);
        }
        assert_eq!(m.str(1), Err(DecodeError::PathTooDeep));
    }
}
