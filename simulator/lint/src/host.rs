//! What the production host offers and expects: kube-scheduler-wasm-extension's plugin at upstream
//! commit `9b2791f` (wazero v1.7.2), as recorded in the repository's ABI notes.

use wasmparser::ValType;

/// A function type written as (params, results), `I` = i32, `J` = i64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sig(pub &'static str, pub &'static str);

impl Sig {
    /// Whether `params`/`results` match this signature.
    pub(crate) fn matches(&self, params: &[ValType], results: &[ValType]) -> bool {
        fn same(spec: &str, vals: &[ValType]) -> bool {
            spec.len() == vals.len()
                && spec.chars().zip(vals).all(|(c, v)| match c {
                    'I' => *v == ValType::I32,
                    'J' => *v == ValType::I64,
                    _ => false,
                })
        }
        same(self.0, params) && same(self.1, results)
    }

    /// wazero's spelling of the type: `(i32,i32) -> (i32)`.
    pub(crate) fn text(&self) -> String {
        fn list(spec: &str) -> String {
            let v: Vec<&str> = spec
                .chars()
                .map(|c| if c == 'I' { "i32" } else { "i64" })
                .collect();
            format!("({})", v.join(","))
        }
        format!("{} -> {}", list(self.0), list(self.1))
    }
}

/// Spells a parsed function type like [`Sig::text`].
pub(crate) fn sig_text(params: &[ValType], results: &[ValType]) -> String {
    fn list(v: &[ValType]) -> String {
        let names: Vec<String> = v.iter().map(|t| t.to_string()).collect();
        format!("({})", names.join(","))
    }
    format!("{} -> {}", list(params), list(results))
}

/// The host modules the plugin instantiates (each only if the guest imports from it).
pub(crate) const MODULES: [&str; 4] = [
    "wasi_snapshot_preview1",
    "k8s.io/api",
    "k8s.io/klog",
    "k8s.io/scheduler",
];

/// `k8s.io/api`, `k8s.io/klog` and `k8s.io/scheduler` functions (ABI notes §3.2).
const K8S: &[(&str, &str, Sig)] = &[
    ("k8s.io/api", "node", Sig("IIII", "I")),
    ("k8s.io/api", "nodeList", Sig("II", "I")),
    ("k8s.io/klog", "log", Sig("III", "")),
    ("k8s.io/klog", "logs", Sig("IIIII", "")),
    ("k8s.io/klog", "severity", Sig("", "I")),
    ("k8s.io/scheduler", "currentPod", Sig("II", "I")),
    ("k8s.io/scheduler", "targetPod", Sig("II", "I")),
    ("k8s.io/scheduler", "currentNodeName", Sig("II", "I")),
    ("k8s.io/scheduler", "filteredNodeList", Sig("II", "I")),
    ("k8s.io/scheduler", "nodeToStatusMap", Sig("II", "I")),
    ("k8s.io/scheduler", "nodeScoreList", Sig("II", "I")),
    ("k8s.io/scheduler", "nodeImageStates", Sig("IIII", "I")),
    ("k8s.io/scheduler", "get_config", Sig("II", "I")),
    ("k8s.io/scheduler", "result.status_reason", Sig("II", "")),
    ("k8s.io/scheduler", "result.node_names", Sig("II", "")),
    (
        "k8s.io/scheduler",
        "result.nominated_node_name",
        Sig("II", ""),
    ),
    (
        "k8s.io/scheduler",
        "result.normalized_score_list",
        Sig("II", ""),
    ),
    ("k8s.io/scheduler", "result.cluster_events", Sig("II", "")),
    (
        "k8s.io/scheduler",
        "handle.eventrecorder.eventf",
        Sig("II", ""),
    ),
    (
        "k8s.io/scheduler",
        "handle.reject_waiting_pod",
        Sig("IIII", ""),
    ),
    (
        "k8s.io/scheduler",
        "handle.get_waiting_pod",
        Sig("IIII", ""),
    ),
];

/// WASI preview1 as wazero v1.7.2 implements it: every function returns an errno (i32) except
/// `proc_exit`.
const WASI: &[(&str, &str)] = &[
    ("args_get", "II"),
    ("args_sizes_get", "II"),
    ("environ_get", "II"),
    ("environ_sizes_get", "II"),
    ("clock_res_get", "II"),
    ("clock_time_get", "IJI"),
    ("fd_advise", "IJJI"),
    ("fd_allocate", "IJJ"),
    ("fd_close", "I"),
    ("fd_datasync", "I"),
    ("fd_fdstat_get", "II"),
    ("fd_fdstat_set_flags", "II"),
    ("fd_fdstat_set_rights", "IJJ"),
    ("fd_filestat_get", "II"),
    ("fd_filestat_set_size", "IJ"),
    ("fd_filestat_set_times", "IJJI"),
    ("fd_pread", "IIIJI"),
    ("fd_prestat_get", "II"),
    ("fd_prestat_dir_name", "III"),
    ("fd_pwrite", "IIIJI"),
    ("fd_read", "IIII"),
    ("fd_readdir", "IIIJI"),
    ("fd_renumber", "II"),
    ("fd_seek", "IJII"),
    ("fd_sync", "I"),
    ("fd_tell", "II"),
    ("fd_write", "IIII"),
    ("path_create_directory", "III"),
    ("path_filestat_get", "IIIII"),
    ("path_filestat_set_times", "IIIIJJI"),
    ("path_link", "IIIIIII"),
    ("path_open", "IIIIIJJII"),
    ("path_readlink", "IIIIII"),
    ("path_remove_directory", "III"),
    ("path_rename", "IIIIII"),
    ("path_symlink", "IIIII"),
    ("path_unlink_file", "III"),
    ("poll_oneoff", "IIII"),
    ("proc_raise", "I"),
    ("sched_yield", ""),
    ("random_get", "II"),
    ("sock_accept", "III"),
    ("sock_recv", "IIIIII"),
    ("sock_send", "IIIII"),
    ("sock_shutdown", "II"),
];

/// The signature of host function `module.name`, if the host defines it.
pub(crate) fn import_sig(module: &str, name: &str) -> Option<Sig> {
    if module == "wasi_snapshot_preview1" {
        if name == "proc_exit" {
            return Some(Sig("I", ""));
        }
        return WASI
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| Sig(p, "I"));
    }
    K8S.iter()
        .find(|(m, n, _)| *m == module && *n == name)
        .map(|(_, _, s)| *s)
}

/// Host functions that read the per-call context: the host panics if they are called from
/// `_start`, where there is none (ABI notes §1.2).
pub(crate) const CONTEXT_GETTERS: [&str; 12] = [
    "currentPod",
    "currentNodeName",
    "targetPod",
    "filteredNodeList",
    "nodeToStatusMap",
    "nodeScoreList",
    "result.status_reason",
    "result.node_names",
    "result.nominated_node_name",
    "result.normalized_score_list",
    "result.cluster_events",
    "handle.eventrecorder.eventf",
];

/// The hook exports and the signature the host requires of each (ABI notes §2.1).
pub(crate) const HOOKS: [(&str, Sig); 15] = [
    ("enqueue", Sig("", "")),
    ("prefilter", Sig("", "I")),
    ("filter", Sig("", "I")),
    ("postfilter", Sig("", "J")),
    ("prescore", Sig("", "I")),
    ("score", Sig("", "J")),
    ("normalizescore", Sig("", "I")),
    ("reserve", Sig("", "I")),
    ("unreserve", Sig("", "")),
    ("permit", Sig("", "J")),
    ("prebind", Sig("", "I")),
    ("bind", Sig("", "I")),
    ("postbind", Sig("", "")),
    ("addpod", Sig("", "I")),
    ("removepod", Sig("", "I")),
];
