//! Plugin results: kube-scheduler's `framework.Status` and its codes.

use std::fmt;

/// kube-scheduler's `framework.Code`, with the same numeric values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
pub enum Code {
    /// The plugin ran and the pod fits (0). A nil status in kube-scheduler.
    Success = 0,
    /// An internal error or unexpected input (1).
    Error = 1,
    /// The pod does not fit; preemption might help (2).
    Unschedulable = 2,
    /// The pod does not fit and preemption would not help (3).
    UnschedulableAndUnresolvable = 3,
    /// A Permit plugin wants the pod to wait (4). Never returned by the emulated plugins.
    Wait = 4,
    /// The plugin has nothing to do for this pod (5): after PreFilter, skip its Filter; after
    /// PreScore, skip its Score.
    Skip = 5,
    /// Scheduling succeeded but must stop here (6). Never returned by the emulated plugins.
    Pending = 6,
}

impl Code {
    /// The numeric code, as kube-scheduler and the WASM ABI use it.
    pub const fn as_i32(self) -> i32 {
        self as i32
    }

    /// The code with that number, if any.
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

/// The result of a plugin at one extension point: a [`Code`] and kube-scheduler's reasons, in
/// kube-scheduler's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The outcome.
    pub code: Code,
    /// Why, in kube-scheduler's exact words (empty on success).
    pub reasons: Vec<String>,
}

impl Status {
    /// Success, with no reason.
    pub const fn success() -> Status {
        Status {
            code: Code::Success,
            reasons: Vec::new(),
        }
    }

    /// Skip, with no reason.
    pub const fn skip() -> Status {
        Status {
            code: Code::Skip,
            reasons: Vec::new(),
        }
    }

    /// A status with one reason.
    pub fn new(code: Code, reason: impl Into<String>) -> Status {
        Status {
            code,
            reasons: vec![reason.into()],
        }
    }

    /// Whether the code is [`Code::Success`].
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// Whether the code is [`Code::Skip`].
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// Whether the pod was rejected: [`Code::Unschedulable`] or
    /// [`Code::UnschedulableAndUnresolvable`].
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable
        )
    }

    /// The reasons joined with `", "`, as `Status.Message()`.
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

impl Default for Status {
    fn default() -> Status {
        Status::success()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reasons.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message())
        }
    }
}
