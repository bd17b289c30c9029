//! Kubernetes objects as the host hands them to the guest: gogo-compatible protobuf.

mod encode;
mod quantity;
#[allow(clippy::all)]
#[rustfmt::skip]
mod schema;
mod schema_types;
mod time;

pub use encode::ObjectError;
use encode::put_bytes;

use serde_json::Value;

/// Encodes a `v1.Pod` given as JSON.
pub(crate) fn encode_pod(json: &Value) -> Result<Vec<u8>, ObjectError> {
    encode::encode(&schema::POD, json)
}

/// Encodes a `v1.Node` given as JSON.
pub(crate) fn encode_node(json: &Value) -> Result<Vec<u8>, ObjectError> {
    encode::encode(&schema::NODE, json)
}

/// Encodes a `v1.NodeList` from already-encoded nodes: an empty `ListMeta` (always emitted) and
/// one `items` entry per node.
pub(crate) fn encode_node_list<'a>(nodes: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = encode::encode(&schema::NODE_LIST, &Value::Null).unwrap_or_default();
    for n in nodes {
        put_bytes(&mut out, 2, n);
    }
    out
}

/// Canonicalises a quantity string like `resource.Quantity.String()`.
pub fn canonical_quantity(s: &str) -> Result<String, ObjectError> {
    quantity::canonical(s).map_err(ObjectError)
}
