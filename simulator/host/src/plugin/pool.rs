//! The instance pool (upstream's `guestPool`, docs/abi.md §1.3): one scheduling instance, instances
//! pinned to pods in their binding cycle, and a FIFO of free ones; new instances only when none is
//! free.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{SchedulerPanic, WasmPlugin};
use crate::instance::Instance;

/// One guest instance, shared between the pool and the call running on it.
pub(super) type Guest = Arc<Mutex<Instance>>;

/// Locks `m`, taking the guard back if another thread panicked while holding it.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The instance pool's state: upstream's `guestPool` (docs/abi.md §1.3).
#[derive(Default)]
pub(super) struct PoolState {
    /// The instance running the current scheduling cycle.
    pub(super) scheduled: Option<Guest>,
    /// The pod of the current scheduling cycle.
    pub(super) scheduled_pod_uid: String,
    /// Instances pinned to pods in their binding cycle, by pod UID.
    pub(super) binding: HashMap<String, Guest>,
    /// Idle instances, reused first-in first-out.
    pub(super) free: VecDeque<Guest>,
}

impl WasmPlugin {
    pub(super) fn new_guest(&self) -> Result<Guest, String> {
        match self.rt.instantiate() {
            Ok(i) => Ok(Arc::new(Mutex::new(i))),
            Err(e) => {
                // A failed later instantiation closes the whole runtime (upstream bug).
                self.rt.closed.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// `doWithSchedulingGuest`: runs `f` on the scheduling instance, holding the pool lock.
    pub(super) fn with_scheduling_guest<T>(
        &self,
        pod_uid: &str,
        f: impl FnOnce(&mut Instance) -> T,
    ) -> Result<T, String> {
        let mut pool = lock(&self.pool);
        pool.scheduled_pod_uid.clear();
        pool.scheduled_pod_uid.push_str(pod_uid);
        let guest = match &pool.scheduled {
            Some(g) => g.clone(),
            None => {
                let g = match pool.free.pop_front() {
                    Some(g) => g,
                    None => self.new_guest()?,
                };
                pool.scheduled = Some(g.clone());
                g
            }
        };
        let mut instance = lock(&guest);
        Ok(f(&mut instance))
    }

    /// `doWithGuest` (EventsToRegister).
    pub(super) fn with_guest<T>(&self, f: impl FnOnce(&mut Instance) -> T) -> Result<T, String> {
        let mut pool = lock(&self.pool);
        pool.scheduled_pod_uid.clear();
        let guest = match pool.scheduled.take() {
            Some(g) => g,
            None => match pool.free.pop_front() {
                Some(g) => g,
                None => self.new_guest()?,
            },
        };
        let r = f(&mut lock(&guest));
        pool.free.push_back(guest);
        Ok(r)
    }

    /// `getForBinding`.
    pub(super) fn get_for_binding(&self, pod_uid: &str) -> Result<Guest, SchedulerPanic> {
        let mut pool = lock(&self.pool);
        if let Some(g) = pool.binding.get(pod_uid) {
            return Ok(g.clone());
        }
        match pool.scheduled.take() {
            Some(g) => {
                pool.scheduled_pod_uid.clear();
                pool.binding.insert(pod_uid.to_string(), g.clone());
                Ok(g)
            }
            None => Err(SchedulerPanic::new("unexpected podUID")),
        }
    }

    /// `freeFromBinding`.
    pub(super) fn free_from_binding(&self, pod_uid: &str) {
        let mut pool = lock(&self.pool);
        if let Some(g) = pool.binding.remove(pod_uid) {
            pool.free.push_back(g);
        }
    }
}
