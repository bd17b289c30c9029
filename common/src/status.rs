//! Scheduling statuses: what a hook answers.
//!
//! Hooks return `Result<T, Status>`: `Ok` is Success (code 0, and no reason is sent, as in the Go
//! SDK), `Err(status)` any other code with its reason. `?` turns a decode error into an Error status.

use core::fmt;

/// A framework status code, as `k8s.io/scheduler` passes it through (`docs/abi.md` §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
pub enum Code {
    /// The hook succeeded.
    Success = 0,
    /// An internal error: the scheduling cycle is aborted.
    Error = 1,
    /// The node does not fit; preemption might help.
    Unschedulable = 2,
    /// The node does not fit and preemption cannot help.
    UnschedulableAndUnresolvable = 3,
    /// Permit only: the pod waits (see [`crate::hooks::PermitDecision::Wait`]).
    Wait = 4,
    /// PreFilter/PreScore: skip this plugin's Filter/Score this cycle. Bind: let the next binder bind.
    Skip = 5,
    /// kube-scheduler's `Pending` (not defined by the Go guest SDK; the host passes it through).
    Pending = 6,
}

impl Code {
    /// The code's wire value.
    pub const fn as_i32(self) -> i32 {
        self as i32
    }

    /// The code with that wire value, if any.
    pub const fn from_i32(code: i32) -> Option<Code> {
        Some(match code {
            0 => Code::Success,
            1 => Code::Error,
            2 => Code::Unschedulable,
            3 => Code::UnschedulableAndUnresolvable,
            4 => Code::Wait,
            5 => Code::Skip,
            6 => Code::Pending,
            _ => return None,
        })
    }

    /// kube-scheduler's name for the code (`Code.String()`).
    pub const fn name(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Error => "Error",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Wait => "Wait",
            Code::Skip => "Skip",
            Code::Pending => "Pending",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A non-success answer: a code and the reason the scheduler shows for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    code: Code,
    reason: String,
}

impl Status {
    /// A status with `code` and `reason`.
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Status {
            code,
            reason: reason.into(),
        }
    }

    /// An internal error: aborts the scheduling cycle.
    pub fn error(reason: impl Into<String>) -> Self {
        Self::new(Code::Error, reason)
    }

    /// The node does not fit; preemption might help.
    pub fn unschedulable(reason: impl Into<String>) -> Self {
        Self::new(Code::Unschedulable, reason)
    }

    /// The node does not fit and preemption cannot help.
    pub fn unresolvable(reason: impl Into<String>) -> Self {
        Self::new(Code::UnschedulableAndUnresolvable, reason)
    }

    /// Skip this plugin for the rest of the cycle (PreFilter, PreScore), or defer binding (Bind).
    pub fn skip() -> Self {
        Self::new(Code::Skip, "")
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.reason)
        }
    }
}

impl std::error::Error for Status {}

impl From<crate::proto::DecodeError> for Status {
    fn from(e: crate::proto::DecodeError) -> Self {
        Status::error(format!("malformed protobuf from the host: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_abi() {
        let codes = [
            (Code::Success, 0),
            (Code::Error, 1),
            (Code::Unschedulable, 2),
            (Code::UnschedulableAndUnresolvable, 3),
            (Code::Wait, 4),
            (Code::Skip, 5),
            (Code::Pending, 6),
        ];
        for (code, wire) in codes {
            assert_eq!(code.as_i32(), wire);
        }
    }

    #[test]
    fn decode_errors_become_error_statuses() {
        let s: Status = crate::proto::DecodeError::Truncated.into();
        assert_eq!(s.code(), Code::Error);
        assert_eq!(
            s.reason(),
            "malformed protobuf from the host: unexpected end of data"
        );
        assert_eq!(
            s.to_string(),
            "Error: malformed protobuf from the host: unexpected end of data"
        );
    }
}
