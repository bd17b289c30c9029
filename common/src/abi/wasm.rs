//! Raw host imports, each directly above its safe wrapper.
//!
//! Soundness rests on two facts of the ABI (`docs/abi.md` §3.1):
//! - a getter `(buf, limit) -> len` writes at most `limit` bytes at `buf`, and only when `len <= limit`;
//! - a setter `(ptr, len)` only reads `len` bytes at `ptr`, and copies them before returning.
//!
//! Every wrapper passes a pointer and length taken from one live Rust slice, so the host only ever
//! touches memory that slice owns, for the duration of the call. Lengths come from slices, so they
//! fit in `u32`; the wasm32 address space is 32 bits.

/// Converts a slice length to the i32 the ABI uses. wasm32 slices are shorter than 2^31 bytes in
/// practice (linear memory is at most 4 GiB, and no Kubernetes value comes near 2 GiB); saturate
/// rather than wrap if one ever were.
fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Converts a length the host returned. A negative value never comes from the real host; reading it
/// as "empty" is the safe answer.
fn len_usize(len: i32) -> usize {
    usize::try_from(len).unwrap_or(0)
}

macro_rules! getter {
    ($(#[$doc:meta])* $module:literal, $import:literal, $raw:ident, $safe:ident) => {
        #[link(wasm_import_module = $module)]
        unsafe extern "C" {
            #[link_name = $import]
            fn $raw(buf: *mut u8, buf_limit: i32) -> i32;
        }

        $(#[$doc])*
        pub(crate) fn $safe(buf: &mut [u8]) -> usize {
            // SAFETY: `buf` is a live, exclusively borrowed slice; the host writes at most
            // `buf.len()` bytes into it and keeps no pointer after returning (module docs).
            len_usize(unsafe { $raw(buf.as_mut_ptr(), len_i32(buf.len())) })
        }
    };
}

macro_rules! named_getter {
    ($(#[$doc:meta])* $module:literal, $import:literal, $raw:ident, $safe:ident) => {
        #[link(wasm_import_module = $module)]
        unsafe extern "C" {
            #[link_name = $import]
            fn $raw(name: *const u8, name_len: i32, buf: *mut u8, buf_limit: i32) -> i32;
        }

        $(#[$doc])*
        pub(crate) fn $safe(name: &str, buf: &mut [u8]) -> usize {
            // SAFETY: `name` is only read and `buf` only written within their lengths, during the
            // call (module docs); the two slices cannot overlap (one is shared, one exclusive).
            len_usize(unsafe {
                $raw(name.as_ptr(), len_i32(name.len()), buf.as_mut_ptr(), len_i32(buf.len()))
            })
        }
    };
}

macro_rules! setter {
    ($(#[$doc:meta])* $module:literal, $import:literal, $raw:ident, $safe:ident) => {
        #[link(wasm_import_module = $module)]
        unsafe extern "C" {
            #[link_name = $import]
            fn $raw(ptr: *const u8, len: i32);
        }

        $(#[$doc])*
        pub(crate) fn $safe(value: &[u8]) {
            // SAFETY: the host reads `value.len()` bytes at `value.as_ptr()` and copies them before
            // returning (module docs); `value` is live for the whole call.
            unsafe { $raw(value.as_ptr(), len_i32(value.len())) }
        }
    };
}

getter!(
    /// `currentPod`: the pod being scheduled or bound, as protobuf `v1.Pod`.
    "k8s.io/scheduler", "currentPod", raw_current_pod, current_pod
);
getter!(
    /// `targetPod`: the pod added or removed in AddPod/RemovePod, as protobuf `v1.Pod`.
    "k8s.io/scheduler", "targetPod", raw_target_pod, target_pod
);
getter!(
    /// `currentNodeName`: the node of this Filter/Score/Reserve/… call, UTF-8.
    "k8s.io/scheduler", "currentNodeName", raw_current_node_name, current_node_name
);
getter!(
    /// `filteredNodeList`: JSON array of the node names given to PreScore.
    "k8s.io/scheduler", "filteredNodeList", raw_filtered_node_list, filtered_node_list
);
getter!(
    /// `nodeToStatusMap`: JSON object node name → status code, for PostFilter.
    "k8s.io/scheduler", "nodeToStatusMap", raw_node_to_status_map, node_to_status_map
);
getter!(
    /// `nodeScoreList`: JSON object node name → score, for NormalizeScore.
    "k8s.io/scheduler", "nodeScoreList", raw_node_score_list, node_score_list
);
getter!(
    /// `get_config`: the plugin's `guestConfig` string, verbatim.
    "k8s.io/scheduler", "get_config", raw_get_config, get_config
);
getter!(
    /// `nodeList`: every node of the scheduler snapshot, as protobuf `v1.NodeList`.
    "k8s.io/api", "nodeList", raw_node_list, node_list
);
named_getter!(
    /// `node`: one node of the scheduler snapshot, as protobuf `v1.Node`; empty if unknown.
    "k8s.io/api", "node", raw_node, node
);
named_getter!(
    /// `nodeImageStates`: JSON image states of one node.
    "k8s.io/scheduler", "nodeImageStates", raw_node_image_states, node_image_states
);
setter!(
    /// `result.status_reason`: the reason of this call's status.
    "k8s.io/scheduler", "result.status_reason", raw_status_reason, set_status_reason
);
setter!(
    /// `result.node_names`: PreFilter's node set, a NUL-terminated list.
    "k8s.io/scheduler", "result.node_names", raw_node_names, set_node_names
);
setter!(
    /// `result.nominated_node_name`: PostFilter's nominated node.
    "k8s.io/scheduler", "result.nominated_node_name", raw_nominated_node_name, set_nominated_node_name
);
setter!(
    /// `result.normalized_score_list`: NormalizeScore's JSON object node name → score.
    "k8s.io/scheduler", "result.normalized_score_list", raw_normalized_score_list, set_normalized_score_list
);
setter!(
    /// `result.cluster_events`: EnqueueExtensions' events, 8 bytes each.
    "k8s.io/scheduler", "result.cluster_events", raw_cluster_events, set_cluster_events
);
setter!(
    /// `handle.eventrecorder.eventf`: records a Kubernetes event (JSON).
    "k8s.io/scheduler", "handle.eventrecorder.eventf", raw_eventf, eventf
);

#[link(wasm_import_module = "k8s.io/scheduler")]
unsafe extern "C" {
    #[link_name = "handle.reject_waiting_pod"]
    fn raw_reject_waiting_pod(uid: *const u8, uid_len: i32, out: *mut u8, out_limit: i32);
}

/// `handle.reject_waiting_pod`: rejects the waiting pod with `uid`; true if there was one.
pub(crate) fn reject_waiting_pod(uid: &str) -> bool {
    // The host always writes 8 bytes (a little-endian u64), whatever the limit says.
    let mut out = [0u8; 8];
    // SAFETY: `uid` is read within its length; the host writes exactly 8 bytes at `out`, which is
    // 8 bytes long and exclusively borrowed for the call.
    unsafe { raw_reject_waiting_pod(uid.as_ptr(), len_i32(uid.len()), out.as_mut_ptr(), 8) };
    u64::from_le_bytes(out) != 0
}

#[link(wasm_import_module = "k8s.io/klog")]
unsafe extern "C" {
    #[link_name = "logs"]
    fn raw_logs(severity: i32, msg: *const u8, msg_len: i32, kvs: *const u8, kvs_len: i32);
    #[link_name = "severity"]
    fn raw_severity() -> i32;
}

/// `klog.logs`: a structured line; `kvs` is a NUL-terminated key/value list.
pub(crate) fn klog_logs(severity: i32, msg: &str, kvs: &[u8]) {
    // SAFETY: the host reads `msg` and `kvs` within their lengths during the call.
    unsafe {
        raw_logs(
            severity,
            msg.as_ptr(),
            len_i32(msg.len()),
            kvs.as_ptr(),
            len_i32(kvs.len()),
        )
    }
}

/// `klog.severity`: the plugin's configured `logSeverity`.
pub(crate) fn klog_severity() -> i32 {
    // SAFETY: no arguments, no memory access.
    unsafe { raw_severity() }
}
