//! Typed views of the Kubernetes objects the host sends: `v1.Pod`, `v1.Node` and their parts.
//!
//! Field numbers are those of `k8s.io/api` `generated.proto` (stable across Kubernetes versions).
//! Each accessor decodes only the field asked for; absent strings read as `""`, as the host's
//! gogo encoder writes every non-pointer field anyway.

use super::message::{Map, Message, Repeated};
use super::wire::DecodeError;

macro_rules! view {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a>(Message<'a>);

        impl<'a> From<Message<'a>> for $name<'a> {
            fn from(m: Message<'a>) -> Self {
                $name(m)
            }
        }

        impl<'a> $name<'a> {
            /// The underlying message, for fields this view does not name.
            pub fn message(&self) -> Message<'a> {
                self.0
            }
        }
    };
}

/// Iterator over a repeated field, yielding typed views.
#[derive(Clone, Debug)]
pub struct Items<'a, T> {
    inner: Repeated<'a>,
    _view: core::marker::PhantomData<T>,
}

impl<'a, T: From<Message<'a>>> Iterator for Items<'a, T> {
    type Item = Result<T, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|m| m.map(T::from))
    }
}

fn items<'a, T>(m: Message<'a>, field: u32) -> Items<'a, T> {
    Items {
        inner: m.repeated(field),
        _view: core::marker::PhantomData,
    }
}

view!(
    /// `v1.Pod`.
    PodView
);

impl<'a> PodView<'a> {
    /// A view of the encoded pod.
    pub fn new(bytes: &'a [u8]) -> Self {
        PodView(Message::new(bytes))
    }
    /// `metadata`.
    pub fn metadata(&self) -> ObjectMeta<'a> {
        ObjectMeta(self.0.message(1))
    }
    /// `spec`.
    pub fn spec(&self) -> PodSpec<'a> {
        PodSpec(self.0.message(2))
    }
    /// `status.phase`.
    pub fn phase(&self) -> Result<&'a str, DecodeError> {
        self.0.message(3).str(1)
    }
}

view!(
    /// `v1.Node`.
    NodeView
);

impl<'a> NodeView<'a> {
    /// A view of the encoded node.
    pub fn new(bytes: &'a [u8]) -> Self {
        NodeView(Message::new(bytes))
    }
    /// `metadata`.
    pub fn metadata(&self) -> ObjectMeta<'a> {
        ObjectMeta(self.0.message(1))
    }
    /// `spec`.
    pub fn spec(&self) -> NodeSpec<'a> {
        NodeSpec(self.0.message(2))
    }
    /// `status`.
    pub fn status(&self) -> NodeStatus<'a> {
        NodeStatus(self.0.message(3))
    }
}

view!(
    /// `meta.v1.ObjectMeta`.
    ObjectMeta
);

impl<'a> ObjectMeta<'a> {
    /// `name`.
    pub fn name(&self) -> Result<&'a str, DecodeError> {
        self.0.str(1)
    }
    /// `generateName`.
    pub fn generate_name(&self) -> Result<&'a str, DecodeError> {
        self.0.str(2)
    }
    /// `namespace`.
    pub fn namespace(&self) -> Result<&'a str, DecodeError> {
        self.0.str(3)
    }
    /// `uid`.
    pub fn uid(&self) -> Result<&'a str, DecodeError> {
        self.0.str(5)
    }
    /// `resourceVersion`.
    pub fn resource_version(&self) -> Result<&'a str, DecodeError> {
        self.0.str(6)
    }
    /// `labels`.
    pub fn labels(&self) -> Map<'a> {
        self.0.string_map(11)
    }
    /// `annotations`.
    pub fn annotations(&self) -> Map<'a> {
        self.0.string_map(12)
    }
}

view!(
    /// `v1.PodSpec`.
    PodSpec
);

impl<'a> PodSpec<'a> {
    /// `containers`.
    pub fn containers(&self) -> Items<'a, Container<'a>> {
        items(self.0, 2)
    }
    /// `nodeSelector`.
    pub fn node_selector(&self) -> Map<'a> {
        self.0.string_map(7)
    }
    /// `nodeName`: set when the pod is bound (or requests a node).
    pub fn node_name(&self) -> Result<&'a str, DecodeError> {
        self.0.str(10)
    }
    /// `schedulerName`.
    pub fn scheduler_name(&self) -> Result<&'a str, DecodeError> {
        self.0.str(19)
    }
    /// `initContainers`.
    pub fn init_containers(&self) -> Items<'a, Container<'a>> {
        items(self.0, 20)
    }
    /// `tolerations`.
    pub fn tolerations(&self) -> Items<'a, Toleration<'a>> {
        items(self.0, 22)
    }
    /// `priorityClassName`.
    pub fn priority_class_name(&self) -> Result<&'a str, DecodeError> {
        self.0.str(24)
    }
    /// `priority`, or `None` when unset.
    pub fn priority(&self) -> Result<Option<i32>, DecodeError> {
        self.0.int32(25)
    }
    /// `overhead`: resources the runtime class adds to the pod.
    pub fn overhead(&self) -> Map<'a> {
        self.0.quantity_map(32)
    }
}

view!(
    /// `v1.Container`.
    Container
);

impl<'a> Container<'a> {
    /// `name`.
    pub fn name(&self) -> Result<&'a str, DecodeError> {
        self.0.str(1)
    }
    /// `image`.
    pub fn image(&self) -> Result<&'a str, DecodeError> {
        self.0.str(2)
    }
    /// `resources`.
    pub fn resources(&self) -> ResourceRequirements<'a> {
        ResourceRequirements(self.0.message(8))
    }
}

view!(
    /// `v1.ResourceRequirements`.
    ResourceRequirements
);

impl<'a> ResourceRequirements<'a> {
    /// `limits`: resource name → canonical quantity string (see [`crate::quantity`]).
    pub fn limits(&self) -> Map<'a> {
        self.0.quantity_map(1)
    }
    /// `requests`: resource name → canonical quantity string (see [`crate::quantity`]).
    pub fn requests(&self) -> Map<'a> {
        self.0.quantity_map(2)
    }
}

view!(
    /// `v1.Toleration`.
    Toleration
);

impl<'a> Toleration<'a> {
    /// `key`.
    pub fn key(&self) -> Result<&'a str, DecodeError> {
        self.0.str(1)
    }
    /// `operator` (`Exists` or `Equal`; empty means `Equal`).
    pub fn operator(&self) -> Result<&'a str, DecodeError> {
        self.0.str(2)
    }
    /// `value`.
    pub fn value(&self) -> Result<&'a str, DecodeError> {
        self.0.str(3)
    }
    /// `effect` (empty matches every effect).
    pub fn effect(&self) -> Result<&'a str, DecodeError> {
        self.0.str(4)
    }
    /// `tolerationSeconds`, or `None` when unset.
    pub fn toleration_seconds(&self) -> Result<Option<i64>, DecodeError> {
        self.0.int64(5)
    }
}

view!(
    /// `v1.NodeSpec`.
    NodeSpec
);

impl<'a> NodeSpec<'a> {
    /// `unschedulable` (cordoned).
    pub fn unschedulable(&self) -> Result<bool, DecodeError> {
        self.0.bool(4)
    }
    /// `taints`.
    pub fn taints(&self) -> Items<'a, Taint<'a>> {
        items(self.0, 5)
    }
}

view!(
    /// `v1.Taint`.
    Taint
);

impl<'a> Taint<'a> {
    /// `key`.
    pub fn key(&self) -> Result<&'a str, DecodeError> {
        self.0.str(1)
    }
    /// `value`.
    pub fn value(&self) -> Result<&'a str, DecodeError> {
        self.0.str(2)
    }
    /// `effect`: `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub fn effect(&self) -> Result<&'a str, DecodeError> {
        self.0.str(3)
    }
}

view!(
    /// `v1.NodeStatus`.
    NodeStatus
);

impl<'a> NodeStatus<'a> {
    /// `capacity`: resource name → canonical quantity string.
    pub fn capacity(&self) -> Map<'a> {
        self.0.quantity_map(1)
    }
    /// `allocatable`: resource name → canonical quantity string.
    pub fn allocatable(&self) -> Map<'a> {
        self.0.quantity_map(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::encode::Writer;

    fn sample_pod() -> Vec<u8> {
        let mut w = Writer::new();
        w.message(1, |m| {
            m.string(1, "web-0").string(3, "default").string(5, "uid-1");
            m.string_entry(11, "app", "web");
            m.string_entry(12, "scheduler.wasmkwokwizardry.io/regex", "kubecon-.*");
        });
        w.message(2, |s| {
            s.message(2, |c| {
                c.string(1, "app").string(2, "nginx");
                c.message(8, |r| {
                    r.quantity_entry(1, "cpu", "1");
                    r.quantity_entry(2, "cpu", "250m")
                        .quantity_entry(2, "memory", "64Mi");
                });
            });
            s.string_entry(7, "disk", "ssd");
            s.string(10, "");
            s.message(22, |t| {
                t.string(1, "dedicated")
                    .string(2, "Equal")
                    .string(3, "games")
                    .string(4, "NoSchedule");
                t.int64(5, 30);
            });
            s.int32(25, -5);
        });
        w.message(3, |st| {
            st.string(1, "Pending");
        });
        w.finish()
    }

    #[test]
    fn pod_fields_read_back() {
        let bytes = sample_pod();
        let pod = PodView::new(&bytes);
        let meta = pod.metadata();
        assert_eq!(meta.name().unwrap(), "web-0");
        assert_eq!(meta.namespace().unwrap(), "default");
        assert_eq!(meta.uid().unwrap(), "uid-1");
        assert_eq!(meta.labels().get("app").unwrap(), Some("web"));
        assert_eq!(
            meta.annotations()
                .get("scheduler.wasmkwokwizardry.io/regex")
                .unwrap(),
            Some("kubecon-.*")
        );
        let spec = pod.spec();
        assert_eq!(spec.node_name().unwrap(), "");
        assert_eq!(spec.priority().unwrap(), Some(-5));
        assert_eq!(spec.node_selector().get("disk").unwrap(), Some("ssd"));
        let containers: Vec<_> = spec.containers().collect::<Result<_, _>>().unwrap();
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].image().unwrap(), "nginx");
        let res = containers[0].resources();
        assert_eq!(res.requests().get("cpu").unwrap(), Some("250m"));
        assert_eq!(res.requests().get("memory").unwrap(), Some("64Mi"));
        assert_eq!(res.limits().get("cpu").unwrap(), Some("1"));
        let tol = spec.tolerations().next().unwrap().unwrap();
        assert_eq!(
            (
                tol.key().unwrap(),
                tol.operator().unwrap(),
                tol.value().unwrap(),
                tol.effect().unwrap()
            ),
            ("dedicated", "Equal", "games", "NoSchedule")
        );
        assert_eq!(tol.toleration_seconds().unwrap(), Some(30));
        assert_eq!(spec.init_containers().count(), 0);
        assert_eq!(pod.phase().unwrap(), "Pending");
    }

    #[test]
    fn node_fields_read_back() {
        let mut w = Writer::new();
        w.message(1, |m| {
            m.string(1, "kubecon-1");
            m.string_entry(
                12,
                "scheduler.wasmkwokwizardry.io/load-feedback",
                "current-load=3",
            );
        });
        w.message(2, |s| {
            s.bool(4, true);
            s.message(5, |t| {
                t.string(1, "gpu").string(2, "true").string(3, "NoSchedule");
            });
        });
        w.message(3, |st| {
            st.quantity_entry(1, "cpu", "4");
            st.quantity_entry(2, "cpu", "3800m")
                .quantity_entry(2, "pods", "110");
        });
        let bytes = w.finish();
        let node = NodeView::new(&bytes);
        assert_eq!(node.metadata().name().unwrap(), "kubecon-1");
        assert!(node.spec().unschedulable().unwrap());
        let taint = node.spec().taints().next().unwrap().unwrap();
        assert_eq!(
            (
                taint.key().unwrap(),
                taint.value().unwrap(),
                taint.effect().unwrap()
            ),
            ("gpu", "true", "NoSchedule")
        );
        assert_eq!(node.status().capacity().get("cpu").unwrap(), Some("4"));
        assert_eq!(
            node.status().allocatable().get("cpu").unwrap(),
            Some("3800m")
        );
        assert_eq!(
            node.status().allocatable().get("pods").unwrap(),
            Some("110")
        );
        assert_eq!(node.status().allocatable().get("memory").unwrap(), None);
    }

    #[test]
    fn an_empty_message_reads_as_defaults() {
        let pod = PodView::new(&[]);
        assert_eq!(pod.metadata().name().unwrap(), "");
        assert_eq!(pod.spec().priority().unwrap(), None);
        assert!(pod.metadata().annotations().is_empty());
        assert!(!NodeView::new(&[]).spec().unschedulable().unwrap());
    }
}
