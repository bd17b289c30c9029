//! Framework statuses as the host hands them to kube-scheduler (docs/abi.md §2.2).

use std::fmt;

/// A `framework.Status`: a code and the reason the guest sent with `result.status_reason`.
///
/// The host passes the guest's code through unchecked, so any `i32` can appear here. The reason is
/// empty when the guest sent none; the host attaches a reason even to code 0 if the guest sent one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Status {
    /// The status code (see the associated constants).
    pub code: i32,
    /// The reason (framework `Status.Message()`); empty when none was sent.
    pub reason: String,
}

impl Status {
    /// 0: the plugin ran and agrees.
    pub const SUCCESS: i32 = 0;
    /// 1: an internal error; the framework aborts the cycle. Also what a trapped hook returns.
    pub const ERROR: i32 = 1;
    /// 2: Filter rejection that preemption may resolve.
    pub const UNSCHEDULABLE: i32 = 2;
    /// 3: Filter rejection that preemption cannot resolve.
    pub const UNSCHEDULABLE_AND_UNRESOLVABLE: i32 = 3;
    /// 4: Permit only: wait for the timeout in the permit result.
    pub const WAIT: i32 = 4;
    /// 5: PreFilter/PreScore: skip this plugin's Filter/Score; Bind: defer to the next binder.
    pub const SKIP: i32 = 5;
    /// 6: kube-scheduler 1.33's `Pending`, not defined by the Go guest SDK.
    pub const PENDING: i32 = 6;

    /// A status with this code and reason.
    pub fn new(code: i32, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// Success with no reason: what the host returns for hooks the guest does not export.
    pub fn success() -> Self {
        Self::default()
    }

    /// Error (1) with this message: what a trapped hook returns.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Self::ERROR, message)
    }

    /// Whether the code is 0.
    pub fn is_success(&self) -> bool {
        self.code == Self::SUCCESS
    }

    /// The code's name as kube-scheduler prints it, or `Code(<n>)` for codes it does not define.
    pub fn code_name(&self) -> String {
        code_name(self.code)
    }
}

/// The name kube-scheduler gives a status code, or `Code(<n>)` for codes it does not define.
pub fn code_name(code: i32) -> String {
    match code {
        0 => "Success".into(),
        1 => "Error".into(),
        2 => "Unschedulable".into(),
        3 => "UnschedulableAndUnresolvable".into(),
        4 => "Wait".into(),
        5 => "Skip".into(),
        6 => "Pending".into(),
        n => format!("Code({n})"),
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "{}", self.code_name())
        } else {
            write!(f, "{}: {}", self.code_name(), self.reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(Status::success().to_string(), "Success");
        assert_eq!(Status::new(2, "no").to_string(), "Unschedulable: no");
        assert_eq!(Status::new(i32::MIN, "").to_string(), "Code(-2147483648)");
    }
}
