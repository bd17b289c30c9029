//! Test fixture: a guest that traps on demand, to show how a trap surfaces in the host and that
//! the instance keeps working afterwards.
//!
//! PreFilter records the pod's name in the cycle state; Filter panics with the message in the pod
//! annotation [`PANIC_ANNOTATION`] if there is one, and otherwise answers Success only if the cycle
//! state still holds this pod's name (so a test can see that state survives, or is reset, exactly
//! as documented).
#![deny(missing_docs)]

use common::prelude::*;

/// The annotation whose value Filter panics with.
pub const PANIC_ANNOTATION: &str = "test.wasmkwokwizardry.io/panic";

/// The fixture plugin.
#[derive(Debug, Default)]
pub struct TrapGuest;

struct PodName(String);

impl PreFilter for TrapGuest {
    fn pre_filter(&mut self, cycle: &mut CycleState, pod: &Pod) -> Result<PreFilterResult, Status> {
        cycle.insert(PodName(pod.name()?.to_owned()));
        Ok(PreFilterResult::AllNodes)
    }
}

impl Filter for TrapGuest {
    fn filter(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        _node: &NodeInfo,
    ) -> Result<(), Status> {
        if let Some(message) = pod.annotation(PANIC_ANNOTATION)? {
            panic!("{message}");
        }
        match cycle.get::<PodName>() {
            Some(PodName(name)) if name == pod.name()? => Ok(()),
            Some(PodName(other)) => {
                Err(Status::error(format!("cycle state belongs to pod {other}")))
            }
            None => Err(Status::unschedulable(
                "no cycle state: PreFilter did not run on this instance",
            )),
        }
    }
}

common::export!(TrapGuest: prefilter, filter);
