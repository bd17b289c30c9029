//! Leader election on a `coordination.k8s.io/v1` Lease, as a pure decision: given the Lease as
//! read, this replica's identity and the time, acquire, renew or follow. The loop that reads and
//! writes the Lease (with `resourceVersion`, so two replicas cannot both win) is in
//! [`crate::watch::elect`].

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// What to do with the Lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nobody holds it, or the holder let it expire: take it.
    Acquire,
    /// We hold it: renew it.
    Renew,
    /// Another replica holds it and renews it in time.
    Follow(String),
}

/// Decides from the Lease's spec (`None`: no Lease yet).
pub fn decide(spec: Option<&LeaseSpec>, me: &str, now: Timestamp) -> Action {
    let Some(spec) = spec else {
        return Action::Acquire;
    };
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    if holder.is_empty() {
        return Action::Acquire;
    }
    if holder == me {
        return Action::Renew;
    }
    let last = spec.renew_time.as_ref().or(spec.acquire_time.as_ref());
    let duration = i64::from(spec.lease_duration_seconds.unwrap_or(0).max(0));
    match last {
        Some(MicroTime(t)) if *t + SignedDuration::from_secs(duration) >= now => {
            Action::Follow(holder.to_owned())
        }
        _ => Action::Acquire,
    }
}

/// The Lease spec after `action` (for Acquire and Renew).
pub fn next(
    spec: Option<&LeaseSpec>,
    action: &Action,
    me: &str,
    now: Timestamp,
    duration_seconds: i32,
) -> LeaseSpec {
    let mut out = spec.cloned().unwrap_or_default();
    if *action == Action::Acquire {
        out.acquire_time = Some(MicroTime(now));
        out.lease_transitions =
            Some(out.lease_transitions.unwrap_or(0) + i32::from(spec.is_some()));
    }
    out.holder_identity = Some(me.to_owned());
    out.lease_duration_seconds = Some(duration_seconds);
    out.renew_time = Some(MicroTime(now));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    #[test]
    fn a_held_lease_is_followed_until_it_expires() {
        assert_eq!(decide(None, "a", at(0)), Action::Acquire);
        let held = next(None, &Action::Acquire, "b", at(0), 15);
        assert_eq!(held.lease_transitions, Some(0));
        assert_eq!(decide(Some(&held), "b", at(5)), Action::Renew);
        assert_eq!(decide(Some(&held), "a", at(15)), Action::Follow("b".into()));
        assert_eq!(decide(Some(&held), "a", at(16)), Action::Acquire);
        let taken = next(Some(&held), &Action::Acquire, "a", at(16), 15);
        assert_eq!(taken.holder_identity.as_deref(), Some("a"));
        assert_eq!(taken.lease_transitions, Some(1));
        assert_eq!(
            decide(Some(&taken), "b", at(20)),
            Action::Follow("a".into())
        );
        let released = LeaseSpec {
            holder_identity: Some(String::new()),
            ..taken
        };
        assert_eq!(decide(Some(&released), "b", at(20)), Action::Acquire);
    }
}
