//! Logging through the scheduler's klog (`k8s.io/klog`), skipping all work the host would discard.
//!
//! The host's `logSeverity` (0 info, 1 warning, 2 error, 3 fatal) is read once per instance and
//! cached. A line below it is never formatted or sent, so a disabled `info!` in a hot hook costs a
//! comparison, not a host call (`docs/measured.md` pitfall 9: with the default severity 0 every enabled
//! line is a host call and a klog write).
//!
//! Every line goes through the host's structured `logs` function with a non-empty key/value list,
//! because that is the one with klog's usual rule (print when `severity >= logSeverity`); the
//! unstructured `log` function prints only when `severity <= logSeverity` (an upstream inversion,
//! `docs/abi.md` §3.3.8). The host drops warnings and fatal lines, so [`warning_s`] sends an info line with
//! a `severity=warning` pair.
//!
//! ```no_run
//! common::klog::info_s("execute Filter", &[("pod", "default/web-0"), ("node", "kubecon-1")]);
//! common::info!("compiled {} patterns", 3);
//! ```

use std::cell::Cell;

use crate::abi::host;

/// klog severities as the host numbers them.
pub mod severity {
    /// Info.
    pub const INFO: i32 = 0;
    /// Warning (dropped by the host; see [`super::warning_s`]).
    pub const WARNING: i32 = 1;
    /// Error.
    pub const ERROR: i32 = 2;
}

const UNREAD: i32 = i32::MIN;

thread_local! {
    static SEVERITY: Cell<i32> = const { Cell::new(UNREAD) };
}

fn host_severity() -> i32 {
    SEVERITY.with(|s| {
        let mut v = s.get();
        if v == UNREAD {
            v = host::klog_severity();
            s.set(v);
        }
        v
    })
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn forget_severity() {
    SEVERITY.with(|s| s.set(UNREAD));
}

/// Whether a line of `severity` would be printed (so it is worth formatting).
pub fn enabled(severity: i32) -> bool {
    severity >= host_severity()
}

/// The host splits key/value lists on NUL and drops empty elements, which would shift every later
/// pair; so an empty key or value is sent as `-`, and NUL bytes inside one are removed.
fn push_element(kvs: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        kvs.push(b'-');
    } else {
        kvs.extend(s.bytes().filter(|&b| b != 0));
    }
    kvs.push(0);
}

fn send(severity: i32, msg: &str, pairs: &[(&str, &str)], extra: Option<(&str, &str)>) {
    let mut kvs = Vec::with_capacity(64);
    for (k, v) in pairs.iter().chain(extra.as_ref()) {
        push_element(&mut kvs, k);
        push_element(&mut kvs, v);
    }
    if kvs.is_empty() {
        // A lone terminator: non-empty for the host (so it takes the structured path) but an empty
        // list once split.
        kvs.push(0);
    }
    host::klog_logs(severity, msg, &kvs);
}

/// Logs `msg` with key/value pairs at info severity (klog's `InfoS`).
pub fn info_s(msg: &str, pairs: &[(&str, &str)]) {
    if enabled(severity::INFO) {
        send(severity::INFO, msg, pairs, None);
    }
}

/// Logs `msg` with key/value pairs at error severity (klog's `ErrorS`).
pub fn error_s(msg: &str, pairs: &[(&str, &str)]) {
    if enabled(severity::ERROR) {
        send(severity::ERROR, msg, pairs, None);
    }
}

/// Logs a warning. The host drops klog warnings, so this is an info line with `severity=warning`,
/// printed when the configured severity is warning or lower.
pub fn warning_s(msg: &str, pairs: &[(&str, &str)]) {
    if enabled(severity::WARNING) {
        send(severity::INFO, msg, pairs, Some(("severity", "warning")));
    }
}

#[doc(hidden)]
pub fn __log_fmt(severity: i32, args: core::fmt::Arguments<'_>) {
    let msg = args.to_string();
    match severity {
        severity::WARNING => send(severity::INFO, &msg, &[], Some(("severity", "warning"))),
        s => send(s, &msg, &[], None),
    }
}

/// Logs a formatted info line; the arguments are not formatted when info is disabled.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::klog::enabled($crate::klog::severity::INFO) {
            $crate::klog::__log_fmt($crate::klog::severity::INFO, format_args!($($arg)*));
        }
    };
}

/// Logs a formatted warning (sent as info with `severity=warning`; see [`warning_s`]).
#[macro_export]
macro_rules! warning {
    ($($arg:tt)*) => {
        if $crate::klog::enabled($crate::klog::severity::WARNING) {
            $crate::klog::__log_fmt($crate::klog::severity::WARNING, format_args!($($arg)*));
        }
    };
}

/// Logs a formatted error line.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => {
        if $crate::klog::enabled($crate::klog::severity::ERROR) {
            $crate::klog::__log_fmt($crate::klog::severity::ERROR, format_args!($($arg)*));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeHost, Log};

    fn log(severity: i32, message: &str, kvs: &[&str]) -> Log {
        Log {
            severity,
            message: message.into(),
            kvs: kvs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn lines_at_or_above_the_host_severity_are_printed() {
        let host = FakeHost::new();
        info_s("execute Filter", &[("pod", "default/p"), ("node", "")]);
        crate::error!("boom {}", 1);
        crate::warning!("careful");
        assert_eq!(
            host.logs(),
            vec![
                log(0, "execute Filter", &["pod", "default/p", "node", "-"]),
                log(2, "boom 1", &[]),
                log(0, "careful", &["severity", "warning"]),
            ]
        );
        assert_eq!(
            host.calls("k8s.io/klog.severity"),
            1,
            "severity is read once"
        );
    }

    #[test]
    fn lines_below_the_host_severity_cost_no_host_call() {
        let host = FakeHost::new();
        host.log_severity(2);
        info_s("hidden", &[]);
        crate::info!("hidden {}", 2);
        warning_s("hidden", &[]);
        error_s("shown", &[("err", "x")]);
        assert_eq!(host.logs(), vec![log(2, "shown", &["err", "x"])]);
        assert_eq!(host.calls("k8s.io/klog.logs"), 1);
    }
}
