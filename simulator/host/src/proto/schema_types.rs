//! The shape of the generated schema tables in `schema.rs`.

/// How a field is emitted, following the Go type gogo marshals (see `tools/gen_schema.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Card {
    /// A non-pointer Go field: always emitted, with its zero value when absent from the JSON.
    Always,
    /// A pointer (or `[]byte`) Go field: emitted only when present and not `null`.
    Optional,
    /// A slice: one key per element.
    Repeated,
    /// A `map[string]V`: one `{1: key, 2: value}` entry per key, sorted by key.
    Map,
    /// An embedded struct with `json:",inline"`: its JSON fields sit in the parent object, but
    /// protobuf nests it as a message that is always emitted.
    Inline,
}

/// A field's value type. (`Bytes` and `MicroTime` are not reachable from Pod or Node in
/// v0.33.4, but the generator can emit them.)
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)]
pub(crate) enum Ty {
    /// `string` and every string-kinded Go type (UID, ResourceName, enums…).
    Str,
    /// `bool`, a varint 0 or 1.
    Bool,
    /// `int32`, a varint; negative values take 10 bytes.
    Int32,
    /// `int64`, a varint.
    Int64,
    /// `[]byte`, base64 in JSON.
    Bytes,
    /// `metav1.Time`: RFC 3339 in JSON, `{1: seconds, 2: 0}` in protobuf, empty when zero.
    Time,
    /// `metav1.MicroTime`: like `Time` but keeps microseconds in `nanos`.
    MicroTime,
    /// `resource.Quantity`: `{1: canonical string}`.
    Quantity,
    /// `intstr.IntOrString`: `{1: type, 2: intVal, 3: strVal}`, all always emitted.
    IntOrString,
    /// A nested message.
    Msg(&'static Msg),
}

/// One field of a message.
#[derive(Debug)]
pub(crate) struct Field {
    /// The JSON name (empty for `Card::Inline`).
    pub json: &'static str,
    /// The protobuf field number.
    pub num: u32,
    /// How it is emitted.
    pub card: Card,
    /// Its value type.
    pub ty: Ty,
}

/// One message: its Go type name and its fields in ascending field-number order.
#[derive(Debug)]
pub(crate) struct Msg {
    /// The Go type name, used in error messages.
    pub name: &'static str,
    /// Fields sorted by number.
    pub fields: &'static [Field],
}
