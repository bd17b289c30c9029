//! The guest runtime behind [`crate::export!`]: one function per export, turning the host's
//! parameterless call into a call of the plugin's trait method and packing the answer (`docs/abi.md` §2.1).
//!
//! # State that survives a trap
//!
//! The plugin value, its cycle state and the cached pod live in a `thread_local!` slot that holds
//! `Option<Box<Guest<P>>>`. Each call *moves* the box out of the slot, lends it to the plugin, and
//! moves it back. If the plugin traps (a bug, or memory exhausted) the host reuses the instance
//! (`docs/measured.md` pitfall 3), and the next call simply finds the slot empty and starts fresh — no
//! borrow flag or lock was held across the trap to stay stuck forever. No static constructor is
//! involved: the slot is `const`-initialised and the plugin is built on first use (there is no
//! `_initialize` call).

use std::cell::Cell;
use std::thread::LocalKey;

use crate::abi::host;
use crate::hooks::*;
use crate::object::{
    FilteredNodes, NodeInfo, NodeScores, NodeStatuses, Pod, PodSource, send_node_names,
};
use crate::{Code, CycleState, Status};

/// One guest instance's SDK state.
#[derive(Debug)]
pub struct Guest<P> {
    plugin: P,
    cycle: CycleState,
    pod: Pod,
    target: Pod,
    node: NodeInfo,
}

/// The slot holding a guest's state between calls.
pub type Slot<P> = LocalKey<Cell<Option<Box<Guest<P>>>>>;

/// What [`crate::export!`] generates for a plugin type: its state slot, its constructor, and
/// whether it exports `prefilter` (without it, no state can be kept across calls).
#[derive(Debug)]
pub struct Spec<P: 'static> {
    /// The plugin's state slot.
    pub slot: &'static Slot<P>,
    /// Builds the plugin on first use.
    pub new: fn() -> Result<P, Status>,
    /// Whether `prefilter` is exported, so that cycle boundaries are visible.
    pub exports_prefilter: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// `prefilter`: a new scheduling cycle starts.
    CycleStart,
    /// Any other hook of the cycle.
    InCycle,
    /// `unreserve`: may run on another pod's instance.
    Unreserve,
}

fn with_guest<P, R>(
    spec: &Spec<P>,
    entry: Entry,
    f: impl FnOnce(&mut Guest<P>) -> Result<R, Status>,
) -> Result<R, Status> {
    let mut guest = match spec.slot.with(Cell::take) {
        Some(guest) => guest,
        None => Box::new(Guest {
            plugin: (spec.new)()?,
            cycle: CycleState::default(),
            pod: Pod::new(PodSource::Current),
            target: Pod::new(PodSource::Target),
            node: NodeInfo::default(),
        }),
    };
    if entry == Entry::CycleStart || !spec.exports_prefilter {
        guest.cycle.clear();
        guest.pod.reset();
    }
    guest.target.reset();
    let result = if entry == Entry::Unreserve {
        unreserve_entry(&mut guest, f)
    } else {
        f(&mut guest)
    };
    spec.slot.with(|slot| slot.set(Some(guest)));
    result
}

/// Unreserve goes through whichever instance is scheduling now (`docs/abi.md` §1.3), which may hold
/// another pod's cycle. Re-read the pod; keep the cycle state only if the cached pod is this pod.
fn unreserve_entry<P, R>(
    guest: &mut Guest<P>,
    f: impl FnOnce(&mut Guest<P>) -> Result<R, Status>,
) -> Result<R, Status> {
    let cached_uid = if guest.pod.is_loaded() {
        guest.pod.uid().ok().map(str::to_owned)
    } else {
        None
    };
    guest.pod.reset();
    let same_pod = cached_uid.is_some() && guest.pod.uid().ok() == cached_uid.as_deref();
    if same_pod {
        return f(guest);
    }
    let cycle = std::mem::take(&mut guest.cycle);
    let result = f(guest);
    guest.cycle = cycle;
    result
}

/// The status code of a hook's result; sends the reason for non-success codes.
fn code(result: Result<(), Status>) -> i32 {
    match result {
        Ok(()) => Code::Success.as_i32(),
        Err(status) => {
            if status.code() != Code::Success && !status.reason().is_empty() {
                host::set_status_reason(status.reason().as_bytes());
            }
            status.code().as_i32()
        }
    }
}

/// Two i32s in one i64, high word first, as the host unpacks them.
fn pack(high: i32, low: u32) -> i64 {
    (((high as u32 as u64) << 32) | u64::from(low)) as i64
}

/// The `prefilter` export.
pub fn prefilter<P: PreFilter>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::CycleStart, |g| {
        match g.plugin.pre_filter(&mut g.cycle, &g.pod)? {
            PreFilterResult::AllNodes => Ok(()),
            PreFilterResult::Nodes(names) if names.iter().all(String::is_empty) => {
                Err(Status::unresolvable("no node is left after PreFilter"))
            }
            PreFilterResult::Nodes(names) => {
                send_node_names(&names);
                Ok(())
            }
        }
    }))
}

/// The `filter` export.
pub fn filter<P: Filter>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        g.node.load_current()?;
        g.plugin.filter(&mut g.cycle, &g.pod, &g.node)
    }))
}

/// The `postfilter` export: nominating mode in the high word, status code in the low word.
pub fn postfilter<P: PostFilter>(spec: &Spec<P>) -> i64 {
    let mut mode = NominatingMode::Noop;
    let status = code(with_guest(spec, Entry::InCycle, |g| {
        let result = g
            .plugin
            .post_filter(&mut g.cycle, &g.pod, &NodeStatuses::default())?;
        if !result.nominated_node.is_empty() {
            host::set_nominated_node_name(result.nominated_node.as_bytes());
        }
        mode = result.mode;
        Ok(())
    }));
    pack(mode as i32, status as u32)
}

/// The `prescore` export.
pub fn prescore<P: PreScore>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        g.plugin
            .pre_score(&mut g.cycle, &g.pod, &FilteredNodes::default())
    }))
}

/// The `score` export: score in the high word, status code in the low word.
pub fn score<P: Score>(spec: &Spec<P>) -> i64 {
    let mut score = 0;
    let status = code(with_guest(spec, Entry::InCycle, |g| {
        g.node.load_current()?;
        score = g.plugin.score(&mut g.cycle, &g.pod, &g.node)?;
        Ok(())
    }));
    pack(score, status as u32)
}

/// The `normalizescore` export.
pub fn normalizescore<P: NormalizeScore>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        let mut scores = NodeScores::load()?;
        g.plugin
            .normalize_score(&mut g.cycle, &g.pod, &mut scores)?;
        host::set_normalized_score_list(&scores.to_json());
        Ok(())
    }))
}

/// The node name of a Reserve/Permit/Bind-family call ("" if the host sent none).
fn node_name<P>(g: &mut Guest<P>) -> Result<(), Status> {
    match g.node.load_current() {
        Err(s) if s.reason() == "could not get current node name" => Ok(()),
        other => other,
    }
}

/// The `reserve` export.
pub fn reserve<P: Reserve>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        node_name(g)?;
        g.plugin.reserve(&mut g.cycle, &g.pod, g.node.name())
    }))
}

/// The `unreserve` export.
pub fn unreserve<P: Reserve>(spec: &Spec<P>) {
    // Unreserve has no result: a failure to read the inputs can only be dropped, as upstream's
    // host drops a failed unreserve after logging it.
    let _ = with_guest(spec, Entry::Unreserve, |g| {
        node_name(g)?;
        g.plugin.unreserve(&mut g.cycle, &g.pod, g.node.name());
        Ok(())
    });
}

/// The `permit` export: status code in the high word, timeout in ms in the low word.
pub fn permit<P: Permit>(spec: &Spec<P>) -> i64 {
    let mut timeout_ms = 0u32;
    let status = code(with_guest(spec, Entry::InCycle, |g| {
        node_name(g)?;
        match g.plugin.permit(&mut g.cycle, &g.pod, g.node.name())? {
            PermitDecision::Allow => Ok(()),
            PermitDecision::Wait(timeout) => {
                timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
                Err(Status::new(Code::Wait, ""))
            }
        }
    }));
    pack(status, timeout_ms)
}

/// The `prebind` export.
pub fn prebind<P: PreBind>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        node_name(g)?;
        g.plugin.pre_bind(&mut g.cycle, &g.pod, g.node.name())
    }))
}

/// The `bind` export.
pub fn bind<P: Bind>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        node_name(g)?;
        g.plugin.bind(&mut g.cycle, &g.pod, g.node.name())
    }))
}

/// The `postbind` export.
pub fn postbind<P: PostBind>(spec: &Spec<P>) {
    let _ = with_guest(spec, Entry::InCycle, |g| {
        node_name(g)?;
        g.plugin.post_bind(&mut g.cycle, &g.pod, g.node.name());
        Ok(())
    });
}

/// The `addpod` export.
pub fn addpod<P: PreFilterExtensions>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        g.node.load_current()?;
        g.plugin.add_pod(&mut g.cycle, &g.pod, &g.target, &g.node)
    }))
}

/// The `removepod` export.
pub fn removepod<P: PreFilterExtensions>(spec: &Spec<P>) -> i32 {
    code(with_guest(spec, Entry::InCycle, |g| {
        g.node.load_current()?;
        g.plugin
            .remove_pod(&mut g.cycle, &g.pod, &g.target, &g.node)
    }))
}

/// The `enqueue` export.
pub fn enqueue<P: EnqueueExtensions>(spec: &Spec<P>) {
    let _ = with_guest(spec, Entry::InCycle, |g| {
        let events = g.plugin.events_to_register();
        let mut bytes = Vec::with_capacity(events.len() * 8);
        for e in &events {
            bytes.extend_from_slice(&(e.resource as u32).to_le_bytes());
            bytes.extend_from_slice(&e.action.0.to_le_bytes());
        }
        if !bytes.is_empty() {
            host::set_cluster_events(&bytes);
        }
        Ok(())
    });
}

/// Compile-time check of an export list against what the real host accepts (`docs/abi.md` §2.4) and
/// handles well (§2.6). Panics (a compile error in a `const`) with the reason.
pub const fn check_exports(hooks: &[&str]) {
    const KNOWN: [&str; 13] = [
        "enqueue",
        "prefilter",
        "filter",
        "postfilter",
        "prescore",
        "score",
        "normalizescore",
        "reserve",
        "permit",
        "prebind",
        "bind",
        "postbind",
        "prefilter_extensions",
    ];
    let mut i = 0;
    while i < hooks.len() {
        let mut j = 0;
        let mut known = false;
        while j < KNOWN.len() {
            known |= str_eq(hooks[i], KNOWN[j]);
            j += 1;
        }
        if !known {
            panic!(
                "unknown hook: use enqueue, prefilter, filter, postfilter, prescore, score, normalizescore, reserve, permit, prebind, bind, postbind or prefilter_extensions"
            );
        }
        let mut k = i + 1;
        while k < hooks.len() {
            if str_eq(hooks[i], hooks[k]) {
                panic!("a hook is listed twice");
            }
            k += 1;
        }
        i += 1;
    }
    let f = lists(hooks, "filter");
    let s = lists(hooks, "score");
    let r = lists(hooks, "reserve");
    let p = lists(hooks, "permit");
    let b = lists(hooks, "bind");
    if !(f || s || r || p || b) {
        if hooks.len() == 1 && lists(hooks, "prefilter") {
            return;
        }
        panic!(
            "export filter, score, reserve, permit or bind: the host refuses other sets (`wasm: filter, score, reserve, permit or bind must be exported`)"
        );
    }
    let binding = [
        lists(hooks, "permit"),
        lists(hooks, "prebind"),
        lists(hooks, "bind"),
        lists(hooks, "postbind"),
    ];
    let any_binding = binding[0] || binding[1] || binding[2] || binding[3];
    let all_binding = binding[0] && binding[1] && binding[2] && binding[3];
    if any_binding && !all_binding {
        panic!(
            "export permit, prebind, bind and postbind together: otherwise the host leaks an instance per pod or binds on the wrong instance (docs/abi.md 2.6); Permit, PreBind, Bind and PostBind have no-op defaults"
        );
    }
    // The group sets the host rejects at load time although real hooks are exported (§2.4).
    let set = (f as u8) | (s as u8) << 1 | (r as u8) << 2 | (p as u8) << 3 | (b as u8) << 4;
    const F: u8 = 1;
    const S: u8 = 2;
    const R: u8 = 4;
    const P: u8 = 8;
    const B: u8 = 16;
    const REJECTED: [u8; 8] = [
        R | P,
        F | R | P,
        F | R | B,
        F | P | B,
        S | R | P,
        F | S | R | P,
        F | R | P | B,
        S | R | P | B,
    ];
    let mut i = 0;
    while i < REJECTED.len() {
        if set == REJECTED[i] {
            panic!(
                "the host rejects this export set at load time (RP, FRP, FRB, FPB, SRP, FSRP, FRPB and SRPB, docs/abi.md 2.4): add score, or drop reserve or permit"
            );
        }
        i += 1;
    }
    if (lists(hooks, "prescore") || lists(hooks, "normalizescore")) && !s {
        panic!("prescore and normalizescore are only called with score: export score too");
    }
    if (lists(hooks, "postfilter") || lists(hooks, "prefilter_extensions")) && !f {
        panic!(
            "postfilter and prefilter_extensions are only called with filter: export filter too"
        );
    }
}

/// Whether `hooks` lists `name` (usable in `const`).
pub const fn lists(hooks: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < hooks.len() {
        if str_eq(hooks[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Referenced by [`crate::export!`] when `normalizescore` is listed, to warn at compile time.
#[deprecated(
    note = "the upstream host copies NormalizeScore results back by position in random map order, so scores can land on the wrong nodes (docs/abi.md 3.3.4); prefer scores already in 0..100"
)]
pub const fn normalizescore_is_mishandled_by_the_upstream_host() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_matches_the_host() {
        assert_eq!(crate::testing::unpack_score(pack(100, 0)), (100, 0));
        assert_eq!(crate::testing::unpack_score(pack(-1, 2)), (-1, 2));
        assert_eq!(
            crate::testing::unpack_score(pack(i32::MIN, i32::MAX as u32)),
            (i32::MIN, i32::MAX)
        );
        assert_eq!(crate::testing::unpack_permit(pack(4, 10_000)), (4, 10_000));
        assert_eq!(
            crate::testing::unpack_permit(pack(0, u32::MAX)),
            (0, u32::MAX)
        );
    }

    #[test]
    fn export_sets_follow_the_host_rules() {
        // Accepted sets compile to a no-op.
        check_exports(&["filter"]);
        check_exports(&["prefilter", "filter"]);
        check_exports(&["prefilter"]);
        check_exports(&["prefilter", "filter", "prescore", "score"]);
        check_exports(&["score", "permit", "prebind", "bind", "postbind"]);
        check_exports(&[
            "filter", "score", "reserve", "permit", "prebind", "bind", "postbind",
        ]);
        check_exports(&["reserve", "bind", "prebind", "permit", "postbind"]);
        check_exports(&["filter", "reserve"]);
    }

    #[test]
    fn rejected_sets_panic_with_the_reason() {
        let cases: &[(&[&str], &str)] = &[
            (&["enqueue"], "must be exported"),
            (&["prefilter", "enqueue"], "must be exported"),
            (&["prescore"], "must be exported"),
            (&["filter", "permit"], "together"),
            (&["filter", "bind"], "together"),
            (
                &["filter", "permit", "prebind", "bind", "postbind"],
                "host rejects",
            ),
            (
                &["score", "reserve", "permit", "prebind", "bind", "postbind"],
                "host rejects",
            ),
            (
                &["filter", "reserve", "permit", "prebind", "bind", "postbind"],
                "host rejects",
            ),
            (&["filter", "prescore"], "score too"),
            (&["score", "postfilter"], "filter too"),
            (&["filter", "filter"], "twice"),
            (&["filter", "unreserve"], "unknown hook"),
        ];
        for (hooks, want) in cases {
            let err =
                std::panic::catch_unwind(|| check_exports(hooks)).expect_err(&format!("{hooks:?}"));
            let msg = err
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| err.downcast_ref::<String>().cloned())
                .unwrap();
            assert!(msg.contains(want), "{hooks:?}: {msg}");
        }
    }
}
