//! Kubernetes objects the host hands to guests: pods and the scheduler's node snapshot.

use crate::gofmt::json_string_into;
use crate::proto::{self, ObjectError};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

/// A pod, held as the protobuf bytes the host sends for `currentPod`/`targetPod`.
///
/// The bytes are encoded once (the real host re-marshals on every call; the bytes are the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodObject {
    uid: String,
    name: String,
    namespace: String,
    bytes: Arc<[u8]>,
}

impl PodObject {
    /// Encodes a `v1.Pod` given as JSON (as in a kube-scheduler-simulator export) to
    /// gogo-compatible protobuf. The pod's identity in the instance pool is `metadata.uid`.
    pub fn from_json(value: &Value) -> Result<Self, ObjectError> {
        let bytes = proto::encode_pod(value)?;
        let meta = |k: &str| {
            value
                .pointer(&format!("/metadata/{k}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Ok(Self {
            uid: meta("uid"),
            name: meta("name"),
            namespace: meta("namespace"),
            bytes: bytes.into(),
        })
    }

    /// A pod whose protobuf bytes are given as they are, for example malformed bytes to test a
    /// guest's decoder. `uid` is its identity in the instance pool.
    pub fn from_protobuf(uid: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            uid: uid.into(),
            name: String::new(),
            namespace: String::new(),
            bytes: bytes.into().into(),
        }
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// `metadata.name` (empty for [`PodObject::from_protobuf`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `metadata.namespace` (empty for [`PodObject::from_protobuf`]).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The protobuf bytes the guest receives.
    pub fn protobuf(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn shared_bytes(&self) -> &Arc<[u8]> {
        &self.bytes
    }
}

#[derive(Debug, Clone)]
struct NodeEntry {
    name: String,
    bytes: Vec<u8>,
    /// `status.images`: (names, sizeBytes).
    images: Vec<(Vec<String>, i64)>,
}

/// The scheduler's snapshot of the cluster as guests see it through `k8s.io/api.node`,
/// `k8s.io/api.nodeList` and `k8s.io/scheduler.nodeImageStates`.
///
/// ```
/// use serde_json::json;
/// let cluster = simulator_host::Cluster::from_nodes_json(&[
///     json!({"metadata": {"name": "node-a"}}),
///     json!({"metadata": {"name": "node-b"}}),
/// ]).unwrap();
/// assert_eq!(cluster.node_names(), ["node-a", "node-b"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    nodes: Vec<NodeEntry>,
    index: HashMap<String, usize>,
}

impl Cluster {
    /// An empty snapshot: `node` finds nothing and `nodeList` has no items.
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot of these `v1.Node` JSON objects, in this order (the order of `nodeList`).
    pub fn from_nodes_json<'a>(
        nodes: impl IntoIterator<Item = &'a Value>,
    ) -> Result<Self, ObjectError> {
        let mut c = Self::new();
        for n in nodes {
            c.add_node_json(n)?;
        }
        Ok(c)
    }

    /// Adds (or replaces, by `metadata.name`) a node given as JSON.
    pub fn add_node_json(&mut self, node: &Value) -> Result<(), ObjectError> {
        let bytes = proto::encode_node(node)?;
        let name = node
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let images = node
            .pointer("/status/images")
            .and_then(Value::as_array)
            .map(|imgs| {
                imgs.iter()
                    .map(|i| {
                        let names = i
                            .get("names")
                            .and_then(Value::as_array)
                            .map(|ns| {
                                ns.iter()
                                    .filter_map(Value::as_str)
                                    .map(String::from)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (
                            names,
                            i.get("sizeBytes").and_then(Value::as_i64).unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.insert(NodeEntry {
            name,
            bytes,
            images,
        });
        Ok(())
    }

    /// Adds (or replaces) a node whose protobuf bytes are given as they are. It has no images.
    pub fn add_node_protobuf(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.insert(NodeEntry {
            name: name.into(),
            bytes: bytes.into(),
            images: Vec::new(),
        });
    }

    fn insert(&mut self, entry: NodeEntry) {
        match self.index.get(&entry.name) {
            Some(&i) => self.nodes[i] = entry,
            None => {
                self.index.insert(entry.name.clone(), self.nodes.len());
                self.nodes.push(entry);
            }
        }
    }

    /// Node names in snapshot order.
    pub fn node_names(&self) -> Vec<&str> {
        self.nodes.iter().map(|n| n.name.as_str()).collect()
    }

    /// The protobuf bytes `k8s.io/api.node(name)` returns, if the node exists.
    pub fn node_protobuf(&self, name: &str) -> Option<&[u8]> {
        self.index
            .get(name)
            .map(|&i| self.nodes[i].bytes.as_slice())
    }

    pub(crate) fn freeze(&self) -> Snapshot {
        // kube-scheduler's cache: an image's size is the one the first node reported; NumNodes is
        // the number of nodes reporting that name.
        let mut first_size: HashMap<&str, i64> = HashMap::new();
        let mut count: HashMap<&str, usize> = HashMap::new();
        for n in &self.nodes {
            let mut seen: Vec<&str> = Vec::new();
            for (names, size) in &n.images {
                for name in names {
                    first_size.entry(name).or_insert(*size);
                    if !seen.contains(&name.as_str()) {
                        seen.push(name);
                        *count.entry(name).or_insert(0) += 1;
                    }
                }
            }
        }
        let image_states = self
            .nodes
            .iter()
            .map(|n| {
                let mut states: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
                for (names, _) in &n.images {
                    for name in names {
                        states
                            .entry(name)
                            .or_insert((first_size[name.as_str()], count[name.as_str()]));
                    }
                }
                let mut s = String::from("{");
                for (i, (name, (size, num))) in states.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    json_string_into(&mut s, name);
                    let _ = write!(s, r#":{{"Size":{size},"NumNodes":{num},"Nodes":null}}"#);
                }
                s.push('}');
                s
            })
            .collect();
        Snapshot {
            node_list: proto::encode_node_list(self.nodes.iter().map(|n| n.bytes.as_slice())),
            cluster: self.clone(),
            image_states,
        }
    }
}

/// A frozen [`Cluster`] with the derived bytes the host functions return.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    cluster: Cluster,
    node_list: Vec<u8>,
    image_states: Vec<String>,
}

impl Snapshot {
    pub(crate) fn node(&self, name: &[u8]) -> Option<&[u8]> {
        let name = std::str::from_utf8(name).ok()?;
        self.cluster.node_protobuf(name)
    }

    pub(crate) fn node_list(&self) -> &[u8] {
        &self.node_list
    }

    /// `nodeImageStates(name)`: `null` for an unknown node.
    pub(crate) fn image_states(&self, name: &[u8]) -> &str {
        std::str::from_utf8(name)
            .ok()
            .and_then(|n| self.cluster.index.get(n))
            .map_or("null", |&i| self.image_states[i].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_states() {
        let c = Cluster::from_nodes_json(&[
            json!({"metadata": {"name": "a"}, "status": {"images": [{"names": ["img:v1", "img@sha"], "sizeBytes": 100}]}}),
            json!({"metadata": {"name": "b"}, "status": {"images": [{"names": ["img:v1"], "sizeBytes": 200}]}}),
            json!({"metadata": {"name": "c"}}),
        ])
        .unwrap();
        let s = c.freeze();
        assert_eq!(
            s.image_states(b"a"),
            r#"{"img:v1":{"Size":100,"NumNodes":2,"Nodes":null},"img@sha":{"Size":100,"NumNodes":1,"Nodes":null}}"#
        );
        assert_eq!(
            s.image_states(b"b"),
            r#"{"img:v1":{"Size":100,"NumNodes":2,"Nodes":null}}"#
        );
        assert_eq!(s.image_states(b"c"), "{}");
        assert_eq!(s.image_states(b"zz"), "null");
    }
}
