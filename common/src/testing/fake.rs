//! The fake host behind [`crate::abi`] off wasm32: the same safe functions as the real imports,
//! answered from the thread's [`super::FakeHost`] state, with the real host's buffer semantics.

use super::{Log, with_state};

fn write(value: &[u8], buf: &mut [u8]) -> usize {
    if !value.is_empty() && value.len() <= buf.len() {
        buf[..value.len()].copy_from_slice(value);
    }
    value.len()
}

/// Answers a getter without allocating, so tests can count the guest's own allocations.
fn get(name: &'static str, buf: &mut [u8], value: fn(&super::State) -> &[u8]) -> usize {
    with_state(|s| {
        s.count(name);
        write(value(s), buf)
    })
}

pub(crate) fn current_pod(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.currentPod", buf, |s| &s.pod)
}

pub(crate) fn target_pod(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.targetPod", buf, |s| &s.target_pod)
}

pub(crate) fn current_node_name(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.currentNodeName", buf, |s| {
        s.node_name.as_bytes()
    })
}

pub(crate) fn filtered_node_list(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.filteredNodeList", buf, |s| {
        s.filtered_node_list.as_bytes()
    })
}

pub(crate) fn node_to_status_map(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.nodeToStatusMap", buf, |s| {
        s.node_to_status_map.as_bytes()
    })
}

pub(crate) fn node_score_list(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.nodeScoreList", buf, |s| {
        s.node_score_list.as_bytes()
    })
}

pub(crate) fn get_config(buf: &mut [u8]) -> usize {
    get("k8s.io/scheduler.get_config", buf, |s| s.config.as_bytes())
}

pub(crate) fn node_list(buf: &mut [u8]) -> usize {
    with_state(|s| {
        s.count("k8s.io/api.nodeList");
        write(&s.node_list(), buf)
    })
}

pub(crate) fn node(name: &str, buf: &mut [u8]) -> usize {
    with_state(|s| {
        s.count("k8s.io/api.node");
        let node = s.nodes.iter().find(|(n, _)| n == name);
        write(node.map_or(&[][..], |(_, b)| b), buf)
    })
}

pub(crate) fn node_image_states(name: &str, buf: &mut [u8]) -> usize {
    with_state(|s| {
        s.count("k8s.io/scheduler.nodeImageStates");
        // The host answers `null` for a node it does not know.
        let json = s.image_states.iter().find(|(n, _)| n == name);
        write(json.map_or(&b"null"[..], |(_, j)| j.as_bytes()), buf)
    })
}

fn set(name: &'static str, f: impl FnOnce(&mut super::State)) {
    with_state(|s| {
        s.count(name);
        f(s)
    })
}

pub(crate) fn set_status_reason(v: &[u8]) {
    set("k8s.io/scheduler.result.status_reason", |s| {
        s.out.status_reason = Some(String::from_utf8_lossy(v).into_owned())
    })
}

pub(crate) fn set_node_names(v: &[u8]) {
    set("k8s.io/scheduler.result.node_names", |s| {
        // The host's NUL-list rules: empty elements and an unterminated tail are dropped.
        let mut names = Vec::new();
        let mut rest = v;
        while let Some(end) = rest.iter().position(|&b| b == 0) {
            if end > 0 {
                names.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            }
            rest = &rest[end + 1..];
        }
        s.out.node_names = if names.is_empty() { None } else { Some(names) };
    })
}

pub(crate) fn set_nominated_node_name(v: &[u8]) {
    set("k8s.io/scheduler.result.nominated_node_name", |s| {
        s.out.nominated_node_name = Some(String::from_utf8_lossy(v).into_owned())
    })
}

pub(crate) fn set_normalized_score_list(v: &[u8]) {
    set("k8s.io/scheduler.result.normalized_score_list", |s| {
        s.out.normalized_score_list = Some(String::from_utf8_lossy(v).into_owned())
    })
}

pub(crate) fn set_cluster_events(v: &[u8]) {
    set("k8s.io/scheduler.result.cluster_events", |s| {
        s.out.cluster_events = v
            .chunks_exact(8)
            .map(|c| {
                (
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            })
            .collect()
    })
}

pub(crate) fn eventf(v: &[u8]) {
    set("k8s.io/scheduler.handle.eventrecorder.eventf", |s| {
        s.out.events.push(String::from_utf8_lossy(v).into_owned())
    })
}

pub(crate) fn reject_waiting_pod(uid: &str) -> bool {
    with_state(|s| {
        s.count("k8s.io/scheduler.handle.reject_waiting_pod");
        let before = s.waiting_pods.len();
        s.waiting_pods.retain(|u| u != uid);
        s.waiting_pods.len() != before
    })
}

fn split_kvs(kvs: &[u8]) -> Vec<String> {
    kvs.split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .collect()
}

pub(crate) fn klog_logs(severity: i32, msg: &str, kvs: &[u8]) {
    with_state(|s| {
        s.count("k8s.io/klog.logs");
        let printed = if kvs.is_empty() {
            severity <= s.log_severity
        } else {
            severity >= s.log_severity
        };
        if printed && (severity == 0 || severity == 2) {
            let kvs = split_kvs(kvs);
            s.out.logs.push(Log {
                severity,
                message: msg.to_owned(),
                kvs,
            });
        }
    })
}

pub(crate) fn klog_severity() -> i32 {
    with_state(|s| {
        s.count("k8s.io/klog.severity");
        s.log_severity
    })
}
