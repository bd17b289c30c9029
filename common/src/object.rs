//! The objects a hook receives: the pod, the node, and the JSON lists some hooks get. All are lazy:
//! nothing is asked of the host until the plugin reads it, and then only once per call (the pod
//! once per cycle, when the plugin exports `prefilter`).

use std::cell::{Cell, OnceCell};

use crate::Status;
use crate::abi::{
    Buffer, INITIAL_NAME_BUFFER, INITIAL_VALUE_BUFFER, MAX_LIST_BYTES, MAX_OBJECT_BYTES, ReadError,
    host,
};
use crate::proto::{NodeView, ObjectMeta, PodView};

/// A value read from the host on first use and kept until reset. The buffer is reused across
/// resets, so steady-state reads allocate nothing.
#[derive(Default)]
struct Lazy {
    value: OnceCell<Buffer>,
    spare: Cell<Buffer>,
}

impl core::fmt::Debug for Lazy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Lazy")
            .field("value", &self.value.get())
            .finish_non_exhaustive()
    }
}

impl Lazy {
    fn get(
        &self,
        initial: usize,
        max: usize,
        what: &str,
        getter: impl FnMut(&mut [u8]) -> usize,
    ) -> Result<&[u8], Status> {
        if let Some(b) = self.value.get() {
            return Ok(b.value());
        }
        let mut buf = self.spare.take();
        if let Err(e) = buf.fill(initial, max, getter) {
            self.spare.set(buf);
            return Err(Status::error(e.describe(what)));
        }
        Ok(self.value.get_or_init(|| buf).value())
    }

    fn reset(&mut self) {
        if let Some(b) = self.value.take() {
            self.spare.set(b);
        }
    }

    fn is_loaded(&self) -> bool {
        self.value.get().is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PodSource {
    Current,
    Target,
}

/// A pod (`v1.Pod`), read from the host the first time a field is asked for.
///
/// Accessors decode only the field asked for; [`Pod::view`] gives every field of the
/// [`PodView`]. A pod the host sends as malformed protobuf gives an Error status, never a panic.
#[derive(Debug)]
pub struct Pod {
    source: PodSource,
    bytes: Lazy,
}

impl Pod {
    pub(crate) fn new(source: PodSource) -> Self {
        Pod {
            source,
            bytes: Lazy::default(),
        }
    }

    pub(crate) fn reset(&mut self) {
        self.bytes.reset();
    }

    pub(crate) fn is_loaded(&self) -> bool {
        self.bytes.is_loaded()
    }

    /// The encoded pod.
    pub fn bytes(&self) -> Result<&[u8], Status> {
        match self.source {
            PodSource::Current => self.bytes.get(
                INITIAL_VALUE_BUFFER,
                MAX_OBJECT_BYTES,
                "the pod",
                host::current_pod,
            ),
            PodSource::Target => self.bytes.get(
                INITIAL_VALUE_BUFFER,
                MAX_OBJECT_BYTES,
                "the target pod",
                host::target_pod,
            ),
        }
    }

    /// A zero-copy view of every field.
    pub fn view(&self) -> Result<PodView<'_>, Status> {
        Ok(PodView::new(self.bytes()?))
    }

    /// `metadata`.
    pub fn metadata(&self) -> Result<ObjectMeta<'_>, Status> {
        Ok(self.view()?.metadata())
    }

    /// `metadata.name`.
    pub fn name(&self) -> Result<&str, Status> {
        Ok(self.metadata()?.name()?)
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> Result<&str, Status> {
        Ok(self.metadata()?.namespace()?)
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> Result<&str, Status> {
        Ok(self.metadata()?.uid()?)
    }

    /// The annotation `key`, or `None` when the pod has none.
    pub fn annotation(&self, key: &str) -> Result<Option<&str>, Status> {
        Ok(self.metadata()?.annotations().get(key)?)
    }

    /// The label `key`, or `None` when the pod has none.
    pub fn label(&self, key: &str) -> Result<Option<&str>, Status> {
        Ok(self.metadata()?.labels().get(key)?)
    }
}

/// The node of a Filter, Score or AddPod/RemovePod call.
///
/// Its name comes with the call (one host call, no decoding); the `v1.Node` itself is fetched
/// only if [`NodeInfo::node`] is called, which costs the host a marshal and the guest a copy of the
/// whole object, per node.
#[derive(Debug, Default)]
pub struct NodeInfo {
    name: Buffer,
    node: Lazy,
}

impl NodeInfo {
    pub(crate) fn load_current(&mut self) -> Result<(), Status> {
        self.node.reset();
        let name = self
            .name
            .fill(
                INITIAL_NAME_BUFFER,
                MAX_OBJECT_BYTES,
                host::current_node_name,
            )
            .map_err(|e| Status::error(e.describe("the node name")))?;
        if name.is_empty() {
            return Err(Status::error("could not get current node name"));
        }
        if core::str::from_utf8(name).is_err() {
            return Err(Status::error("the node name is not valid UTF-8"));
        }
        Ok(())
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        // `load_current` checked the bytes are UTF-8 before any hook could see this NodeInfo.
        core::str::from_utf8(self.name.value()).unwrap_or_default()
    }

    /// The node (`k8s.io/api.node`), fetched on first use in this call. A node the snapshot does not
    /// know reads as an empty node.
    pub fn node(&self) -> Result<NodeView<'_>, Status> {
        let name = self.name();
        let bytes = self
            .node
            .get(INITIAL_VALUE_BUFFER, MAX_OBJECT_BYTES, "the node", |buf| {
                host::node(name, buf)
            })?;
        Ok(NodeView::new(bytes))
    }
}

/// One image a node has, as the host describes it (`nodeImageStates`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ImageState {
    /// The image's size in bytes.
    #[serde(rename = "Size", default)]
    pub size: i64,
    /// How many nodes have the image.
    #[serde(rename = "NumNodes", default)]
    pub num_nodes: i32,
}

impl NodeInfo {
    /// The node's images: image name → state (`nodeImageStates`; one host call each time).
    pub fn image_states(&self) -> Result<Vec<(String, ImageState)>, Status> {
        let name = self.name();
        let json = read_json("the node's image states", |buf| {
            host::node_image_states(name, buf)
        })?;
        let map: Option<std::collections::BTreeMap<String, ImageState>> =
            parse("image states", &json)?;
        Ok(map.unwrap_or_default().into_iter().collect())
    }
}

fn read_json(what: &str, getter: impl FnMut(&mut [u8]) -> usize) -> Result<Vec<u8>, Status> {
    let mut buf = Buffer::default();
    buf.fill(INITIAL_VALUE_BUFFER, MAX_LIST_BYTES, getter)
        .map(<[u8]>::to_vec)
        .map_err(|e: ReadError| Status::error(e.describe(what)))
}

fn parse<T: serde::de::DeserializeOwned + Default>(what: &str, json: &[u8]) -> Result<T, Status> {
    if json.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(json)
        .map_err(|e| Status::error(format!("malformed {what} from the host: {e}")))
}

/// The nodes that passed Filter, as PreScore receives them (`filteredNodeList`), read on first use.
#[derive(Debug, Default)]
pub struct FilteredNodes {
    names: OnceCell<Vec<String>>,
}

impl FilteredNodes {
    /// The node names, in the framework's order.
    pub fn names(&self) -> Result<&[String], Status> {
        if let Some(n) = self.names.get() {
            return Ok(n);
        }
        let json = read_json("the filtered node list", host::filtered_node_list)?;
        let names: Vec<String> = parse("filtered node list", &json)?;
        Ok(self.names.get_or_init(|| names))
    }
}

/// PostFilter's input: each node that failed Filter with an explicit status, and its code.
#[derive(Debug, Default)]
pub struct NodeStatuses {
    codes: OnceCell<Vec<(String, i32)>>,
}

impl NodeStatuses {
    /// `(node name, status code)` pairs, sorted by node name.
    pub fn codes(&self) -> Result<&[(String, i32)], Status> {
        if let Some(c) = self.codes.get() {
            return Ok(c);
        }
        let json = read_json("the node status map", host::node_to_status_map)?;
        let map: std::collections::BTreeMap<String, i32> = parse("node status map", &json)?;
        Ok(self.codes.get_or_init(|| map.into_iter().collect()))
    }
}

/// NormalizeScore's scores: read from the host, changed in place by the plugin, sent back.
#[derive(Debug, Default)]
pub struct NodeScores {
    scores: Vec<(String, i64)>,
}

impl NodeScores {
    pub(crate) fn load() -> Result<Self, Status> {
        let json = read_json("the node score list", host::node_score_list)?;
        let map: std::collections::BTreeMap<String, i64> = parse("node score list", &json)?;
        Ok(NodeScores {
            scores: map.into_iter().collect(),
        })
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        let map: std::collections::BTreeMap<&str, i64> =
            self.scores.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        serde_json::to_vec(&map).unwrap_or_default()
    }

    /// `(node name, score)` pairs, sorted by node name.
    pub fn scores(&self) -> &[(String, i64)] {
        &self.scores
    }

    /// The scores, to change in place.
    pub fn scores_mut(&mut self) -> &mut [(String, i64)] {
        &mut self.scores
    }
}

/// Sends PreFilter's node set as a NUL-terminated list (`result.node_names`).
pub(crate) fn send_node_names(names: &[String]) {
    let mut list = Vec::with_capacity(names.iter().map(|n| n.len() + 1).sum());
    for name in names {
        list.extend_from_slice(name.as_bytes());
        list.push(0);
    }
    host::set_node_names(&list);
}
