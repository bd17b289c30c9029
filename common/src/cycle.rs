//! Per-cycle state: values a plugin computes once per scheduling cycle and reads in later hooks.

use std::any::{Any, TypeId};

/// A typed map from a value's type to the value, cleared when a scheduling cycle starts.
///
/// Keys are types (define a small struct per thing you store), so two plugins' entries can never
/// collide and no downcast can fail. The SDK clears it at every `prefilter`; a plugin that does not
/// export `prefilter` gets an empty state in every hook call, because without `prefilter` a guest
/// cannot tell where one pod's cycle ends and the next begins (`docs/abi.md` §1.4).
///
/// ```
/// # use common::CycleState;
/// struct Compiled(String);
///
/// let mut cycle = CycleState::default();
/// cycle.insert(Compiled("kubecon-.*".into()));
/// assert_eq!(cycle.get::<Compiled>().map(|c| c.0.as_str()), Some("kubecon-.*"));
/// cycle.clear();
/// assert!(cycle.get::<Compiled>().is_none());
/// ```
#[derive(Debug, Default)]
pub struct CycleState {
    entries: Vec<(TypeId, Box<dyn Any>)>,
}

impl CycleState {
    /// Stores `value`, returning the previous value of that type, if any.
    pub fn insert<T: Any>(&mut self, value: T) -> Option<T> {
        let previous = self.remove::<T>();
        self.entries.push((TypeId::of::<T>(), Box::new(value)));
        previous
    }

    /// The value of type `T`, if one was stored this cycle.
    pub fn get<T: Any>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.entries
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, v)| v.downcast_ref())
    }

    /// The value of type `T`, mutably.
    pub fn get_mut<T: Any>(&mut self) -> Option<&mut T> {
        let id = TypeId::of::<T>();
        self.entries
            .iter_mut()
            .find(|(t, _)| *t == id)
            .and_then(|(_, v)| v.downcast_mut())
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Any>(&mut self) -> Option<T> {
        let id = TypeId::of::<T>();
        let i = self.entries.iter().position(|(t, _)| *t == id)?;
        self.entries.swap_remove(i).1.downcast().ok().map(|b| *b)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every value.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_keyed_by_type() {
        let mut c = CycleState::default();
        assert!(c.is_empty());
        assert_eq!(c.insert(1u32), None);
        assert_eq!(c.insert(2u32), Some(1));
        c.insert("text");
        assert_eq!(c.get::<u32>(), Some(&2));
        *c.get_mut::<u32>().unwrap() += 1;
        assert_eq!(c.remove::<u32>(), Some(3));
        assert_eq!(c.get::<u32>(), None);
        assert_eq!(c.get::<&str>(), Some(&"text"));
        assert_eq!(c.get::<u64>(), None);
    }
}
