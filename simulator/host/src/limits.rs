//! Bounds the simulator puts on a guest where the production host has none: a deadline per hook
//! call (wasmtime epoch interruption) and a cap on the guest's linear memory (a
//! [`wasmtime::ResourceLimiter`]). See RATIONALE.md, "Guest deadlines and memory cap".

use std::time::Duration;

use wasmtime::{Engine, EngineWeak};

/// The default hook deadline: far above any sane hook (the slowest Filter measured here is 65 ms,
/// regex_v1 on `\pL{1000}`), far below a developer's patience.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The default linear-memory cap: 1 GiB, 22× the largest guest memory measured here (45.8 MB,
/// regex_v1 after `\pL{1000}`), a quarter of wasm32's 4 GiB.
pub const DEFAULT_MEMORY_MAX: u64 = 1 << 30;

/// Bounds on a guest's time and memory. The production host (wazero) has neither: a guest that
/// loops hangs the real scheduler, one that keeps allocating grows to 4 GiB. Here the call fails
/// instead, with an Error status that says so, and the instance is replaced.
///
/// ```
/// use std::time::Duration;
/// let limits = simulator_host::GuestLimits {
///     hook_timeout: Some(Duration::from_secs(2)),
///     memory_max: Some(64 << 20),
/// };
/// assert_eq!(simulator_host::GuestLimits::default().hook_timeout, Some(Duration::from_secs(10)));
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestLimits {
    /// The longest one hook call (or one instantiation, `_start` included) may run; `None`: no
    /// deadline, as in production.
    pub hook_timeout: Option<Duration>,
    /// The largest linear memory, in bytes; `None`: wasm32's 4 GiB, as in production.
    pub memory_max: Option<u64>,
}

impl Default for GuestLimits {
    fn default() -> Self {
        Self {
            hook_timeout: Some(DEFAULT_HOOK_TIMEOUT),
            memory_max: Some(DEFAULT_MEMORY_MAX),
        }
    }
}

impl GuestLimits {
    /// No bounds: the production host's behaviour.
    pub const NONE: Self = Self {
        hook_timeout: None,
        memory_max: None,
    };

    /// The epoch tick for the deadline: a twentieth of it, between 1 ms and 100 ms, so the deadline
    /// is kept within 5 % (100 ms for the default 10 s: ten wake-ups a second per plugin).
    pub(crate) fn tick(&self) -> Option<Duration> {
        self.hook_timeout
            .map(|t| (t / 20).clamp(Duration::from_millis(1), Duration::from_millis(100)))
    }

    /// The deadline in ticks beyond the current epoch (at least 1).
    pub(crate) fn deadline_ticks(&self) -> u64 {
        match (self.hook_timeout, self.tick()) {
            (Some(t), Some(tick)) => {
                let ticks = t.as_nanos().div_ceil(tick.as_nanos().max(1));
                u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
            }
            _ => u64::MAX,
        }
    }

    /// The text of a call stopped at the deadline.
    pub(crate) fn deadline_text(&self) -> String {
        format!(
            "the guest was still running after the hook deadline ({}): the real kube-scheduler would hang here (its wasm host sets no deadline)",
            duration_text(self.hook_timeout.unwrap_or_default())
        )
    }
}

/// `10s`, `250ms`, `1.5s`.
pub(crate) fn duration_text(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d < Duration::from_secs(1) && d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// `1 GiB`, `64 MiB`, `1536 KiB`, `100 bytes`: the largest binary unit that divides `n`.
pub(crate) fn bytes_text(n: u64) -> String {
    for (unit, name) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {name}", n / unit);
        }
    }
    format!("{n} bytes")
}

/// Starts a thread that advances `engine`'s epoch every `tick`; it ends when the engine is dropped.
pub(crate) fn start_ticker(engine: &Engine, tick: Duration) -> Result<(), String> {
    let weak: EngineWeak = engine.weak();
    std::thread::Builder::new()
        .name("guest-deadline".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => break,
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the hook-deadline timer: {e}"))
}

/// A memory growth refused by the cap: the call traps with this error.
#[derive(Debug)]
pub(crate) struct OverMemoryCap {
    pub desired: u64,
    pub max: u64,
}

impl std::fmt::Display for OverMemoryCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the guest's memory would grow to {}, over the {} cap: the real kube-scheduler's guest would keep growing here (up to 4 GiB) and may run out of memory",
            bytes_text(self.desired),
            bytes_text(self.max)
        )
    }
}

impl std::error::Error for OverMemoryCap {}

/// The per-store limiter: refuses linear-memory growth past the cap with [`OverMemoryCap`] (a
/// trap, so the call stops where the guest asked, rather than handing it a `-1` it may not check).
#[derive(Debug, Default)]
pub(crate) struct MemoryCap {
    pub max: Option<u64>,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = u64::try_from(desired).unwrap_or(u64::MAX);
        match self.max {
            Some(max) if desired > max => Err(wasmtime::Error::new(OverMemoryCap { desired, max })),
            _ => Ok(true),
        }
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_texts() {
        let l = GuestLimits::default();
        assert_eq!(l.tick(), Some(Duration::from_millis(100)));
        assert_eq!(l.deadline_ticks(), 100);
        let short = GuestLimits {
            hook_timeout: Some(Duration::from_millis(200)),
            memory_max: None,
        };
        assert_eq!(short.tick(), Some(Duration::from_millis(10)));
        assert_eq!(short.deadline_ticks(), 20);
        assert_eq!(GuestLimits::NONE.tick(), None);
        assert_eq!(duration_text(Duration::from_secs(10)), "10s");
        assert_eq!(duration_text(Duration::from_millis(250)), "250ms");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1.5s");
        assert_eq!(bytes_text(1 << 30), "1 GiB");
        assert_eq!(bytes_text(64 << 20), "64 MiB");
        assert_eq!(bytes_text(1536 << 10), "1536 KiB");
        assert_eq!(bytes_text(100), "100 bytes");
    }
}
