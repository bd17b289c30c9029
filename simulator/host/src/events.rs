//! What guests tell the scheduler besides statuses: the cluster events they register from
//! `enqueue` (docs/abi.md §3.3.6) and the events they record through the host's event recorder.

/// A cluster event the guest registered from `enqueue` (docs/abi.md §3.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterEvent {
    /// The resource string the host hands kube-scheduler, e.g. `Pod` or `storage.k8s.io/CSINode`.
    pub resource: String,
    /// ActionType bits, passed through unchanged.
    pub action_type: u32,
}

impl ClusterEvent {
    /// kube-scheduler 1.33's `framework.All` (every ActionType bit it defines).
    pub const HOST_ALL: u32 = (1 << 12) - 1;

    /// The list the host returns when the guest does not export `enqueue` or registers nothing:
    /// Pod, Node, CSINode, PersistentVolume, PersistentVolumeClaim and StorageClass, each with the
    /// host's `All`.
    pub fn default_list() -> Vec<ClusterEvent> {
        [
            "Pod",
            "Node",
            "storage.k8s.io/CSINode",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "storage.k8s.io/StorageClass",
        ]
        .into_iter()
        .map(|r| ClusterEvent {
            resource: r.to_string(),
            action_type: Self::HOST_ALL,
        })
        .collect()
    }

    fn resource_name(index: u32) -> String {
        const NAMES: [&str; 11] = [
            "Pod",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "PodSchedulingContext",
            "ResourceClaim",
            "storage.k8s.io/StorageClass",
            "storage.k8s.io/CSINode",
            "storage.k8s.io/CSIDriver",
            "storage.k8s.io/CSIStorageCapacity",
            "*",
        ];
        NAMES
            .get(index as usize)
            .map_or_else(|| format!("EventResource({index})"), |s| s.to_string())
    }

    /// Decodes 8-byte records (u32 LE resource index, u32 LE ActionType); a partial record at the
    /// end is ignored.
    pub(crate) fn decode(b: &[u8]) -> Vec<ClusterEvent> {
        b.chunks_exact(8)
            .map(|c| ClusterEvent {
                resource: Self::resource_name(u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                action_type: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect()
    }
}

/// An object reference inside a recorded event.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct EventReference {
    #[serde(rename = "Kind", alias = "kind")]
    pub kind: String,
    #[serde(rename = "APIVersion", alias = "apiVersion", alias = "apiversion")]
    pub api_version: String,
    #[serde(rename = "Name", alias = "name")]
    pub name: String,
    #[serde(rename = "Namespace", alias = "namespace")]
    pub namespace: String,
    #[serde(rename = "UID", alias = "uid")]
    pub uid: String,
    #[serde(
        rename = "ResourceVersion",
        alias = "resourceVersion",
        alias = "resourceversion"
    )]
    pub resource_version: String,
}

/// An event the guest sent through `handle.eventrecorder.eventf` (docs/abi.md §3.3.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RecordedEvent {
    /// `RegardingReference`.
    #[serde(
        rename = "RegardingReference",
        alias = "regardingReference",
        alias = "regardingreference"
    )]
    pub regarding: EventReference,
    /// `RelatedReference` (never nil in the host, only empty).
    #[serde(
        rename = "RelatedReference",
        alias = "relatedReference",
        alias = "relatedreference"
    )]
    pub related: EventReference,
    /// `Eventtype`, e.g. `Normal`.
    #[serde(rename = "Eventtype", alias = "eventtype", alias = "eventType")]
    pub event_type: String,
    /// `Reason`.
    #[serde(rename = "Reason", alias = "reason")]
    pub reason: String,
    /// `Action`.
    #[serde(rename = "Action", alias = "action")]
    pub action: String,
    /// `Note`, which the host passes to `Eventf` as a format string with one extra `nil`.
    #[serde(rename = "Note", alias = "note")]
    pub note: String,
}

impl RecordedEvent {
    /// The text upstream's fake recorder produces: `<regarding name> <type> <reason> <action>
    /// <note>` (the name and its space are left out when the name is empty).
    pub fn fake_recorder_message(&self) -> String {
        let rest = format!(
            "{} {} {} {}",
            self.event_type, self.reason, self.action, self.note
        );
        if self.regarding.name.is_empty() {
            rest
        } else {
            format!("{} {rest}", self.regarding.name)
        }
    }
}
