//! A Rust guest SDK for the Kubernetes scheduler's WebAssembly extension
//! ([kube-scheduler-wasm-extension](https://github.com/kubernetes-sigs/kube-scheduler-wasm-extension)).
//!
//! Plugins are plain Rust types implementing one trait per scheduling hook — [`Filter`],
//! [`Score`], [`PreFilter`], … — as with the upstream Go SDK. [`export!`] turns them into a
//! `wasm32-wasip1` module speaking the extension's real ABI: parameterless exports (`filter() -> i32`
//! …), host imports from `k8s.io/scheduler`, `k8s.io/api` and `k8s.io/klog`, and the grow-and-retry
//! buffer protocol. The module runs unchanged in the production scheduler (wazero) and in this
//! project's simulator.
//!
//! # Example: a Filter plugin
//!
//! ```
//! use common::prelude::*;
//!
//! /// Keeps a pod off nodes whose name contains its `example.io/avoid` annotation.
//! #[derive(Default)]
//! struct Avoid;
//!
//! impl Filter for Avoid {
//!     fn filter(&mut self, _: &mut CycleState, pod: &Pod, node: &NodeInfo) -> Result<(), Status> {
//!         match pod.annotation("example.io/avoid")? {
//!             Some(word) if !word.is_empty() && node.name().contains(word) => {
//!                 Err(Status::unschedulable(format!("node {} contains {word}", node.name())))
//!             }
//!             _ => Ok(()),
//!         }
//!     }
//! }
//!
//! common::export!(Avoid: filter);
//! # fn main() {}
//! ```
//!
//! Build it as a `cdylib` with `sh common/tools/build-guest.sh -p avoid` (any `cargo build`
//! arguments): `cargo build --release --target wasm32-wasip1`, then every module built is rewritten
//! without `memory.copy`/`memory.fill`, which trap in the upstream scheduler as it ships (wazero
//! v1.7.2 built with Go 1.24; `common/RATIONALE.md`): each becomes a call to a word-wise
//! `memmove`/`memset` added by this workspace's `lower-bulk-memory` tool (built by cargo on first
//! use; nothing else to install). Point the scheduler's plugin args at the module
//! (`guestURL: file:///plugins/avoid.wasm`), and check it first with `simulator lint avoid.wasm`.
//!
//! # Pay for what you use
//!
//! - Only the hooks listed in [`export!`] are exported; the host skips every other hook entirely, so
//!   an unused hook costs nothing per node (`docs/abi.md` §2.4).
//! - Inputs are lazy: the pod is fetched on first read and kept for the cycle (when the plugin exports
//!   `prefilter`, which marks cycle boundaries), the `v1.Node` only if [`NodeInfo::node`] is called.
//!   A Filter that needs only the node name makes one host call.
//! - Protobuf is read in place by [`proto`], decoding only the fields asked for.
//! - Log lines below the host's `logSeverity` are never formatted ([`klog`]).
//!
//! # Untrusted input
//!
//! Nothing in this crate panics on what the host sends: malformed protobuf, oversized values and
//! invalid UTF-8 become an Error [`Status`] with a reason, and the instance stays usable. State lives
//! where a trap cannot wedge it (see the `guest` module), because the host keeps using an instance
//! after a trap.
//!
//! # Per-cycle state
//!
//! [`CycleState`] carries values from one hook to the next within a scheduling cycle (for example a
//! regex compiled in PreFilter and used by every Filter). It is cleared at each `prefilter`; a plugin
//! that does not export `prefilter` gets it empty in every call.
//!
//! # Testing
//!
//! Off wasm32, the host imports are served by [`testing::FakeHost`], so plugins are unit-tested with
//! plain `cargo test` through the very export functions the host calls.
#![deny(missing_docs)]

mod abi;
pub mod config;
pub mod cycle;
#[doc(hidden)]
pub mod guest;
pub mod handle;
pub mod hooks;
pub mod klog;
pub mod object;
pub mod proto;
pub mod quantity;
pub mod regex;
pub mod status;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use cycle::CycleState;
/// Go's `strconv.Quote`, for reasons that read exactly as a Go plugin's (`%q`).
pub use gotext::quote;
pub use hooks::*;
pub use object::{FilteredNodes, NodeInfo, NodeScores, NodeStatuses, Pod};
pub use status::{Code, Status};

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::hooks::*;
    pub use crate::object::{FilteredNodes, NodeInfo, NodeScores, NodeStatuses, Pod};
    pub use crate::{Code, CycleState, Status};
}

#[doc(hidden)]
pub mod __private {
    pub use crate::guest::*;
}

/// Exports a plugin's hooks to the host, and nothing else.
///
/// `export!(Plugin: hook, hook, …)` builds the plugin with `Default` on the first call;
/// `export!(Plugin = constructor: hook, …)` calls `fn constructor() -> Result<Plugin, Status>`
/// instead (read [`config`] there). Hook names are the host's export names:
///
/// | hook | exports | trait |
/// |---|---|---|
/// | `enqueue` | `enqueue` | [`EnqueueExtensions`] |
/// | `prefilter` | `prefilter` | [`PreFilter`] |
/// | `filter` | `filter` | [`Filter`] |
/// | `postfilter` | `postfilter` | [`PostFilter`] |
/// | `prefilter_extensions` | `addpod`, `removepod` | [`PreFilterExtensions`] |
/// | `prescore` | `prescore` | [`PreScore`] |
/// | `score` | `score` | [`Score`] |
/// | `normalizescore` | `normalizescore` (warns: the host mishandles it) | [`NormalizeScore`] |
/// | `reserve` | `reserve`, `unreserve` | [`Reserve`] |
/// | `permit`, `prebind`, `bind`, `postbind` | the same | [`Permit`], [`PreBind`], [`Bind`], [`PostBind`] |
///
/// The list is checked at compile time against the sets the real host refuses to load or
/// mishandles (`docs/abi.md` §2.4, §2.6): e.g. `permit` without `bind`, `postbind` and `prebind` (leaks an
/// instance per pod), filter+permit+bind without score (refused at load), or no main hook at all.
///
/// The generated functions live in a module named `exports`: `#[no_mangle]` wasm exports on
/// wasm32, plain functions elsewhere so tests can call them (plus `exports::reset()`, which drops
/// the guest's state as a fresh instance would).
#[macro_export]
macro_rules! export {
    ($plugin:ty = $constructor:path : $($hook:ident),+ $(,)?) => {
        $crate::export!(@impl $plugin, $constructor, $($hook),+);
    };
    ($plugin:ty : $($hook:ident),+ $(,)?) => {
        $crate::export!(
            @impl $plugin,
            || ::core::result::Result::Ok(<$plugin as ::core::default::Default>::default()),
            $($hook),+
        );
    };
    (@impl $plugin:ty, $constructor:expr, $($hook:ident),+) => {
        const _: () = $crate::__private::check_exports(&[$(stringify!($hook)),+]);

        ::std::thread_local! {
            static __COMMON_GUEST: ::core::cell::Cell<
                ::core::option::Option<::std::boxed::Box<$crate::__private::Guest<$plugin>>>,
            > = const { ::core::cell::Cell::new(::core::option::Option::None) };
        }

        const __COMMON_SPEC: $crate::__private::Spec<$plugin> = $crate::__private::Spec {
            slot: &__COMMON_GUEST,
            new: $constructor,
            exports_prefilter: $crate::__private::lists(&[$(stringify!($hook)),+], "prefilter"),
        };

        /// The functions this guest exports to the host.
        pub mod exports {
            $($crate::__export_hook!($hook);)+

            /// Drops the guest's state, as if the host had made a fresh instance (tests only).
            #[cfg(not(target_arch = "wasm32"))]
            pub fn reset() {
                super::__COMMON_GUEST.with(|slot| slot.set(::core::option::Option::None));
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_fn {
    ($name:ident -> $ret:ty) => {
        #[doc = concat!("The `", stringify!($name), "` export.")]
        #[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
        #[allow(unsafe_code)]
        pub extern "C" fn $name() -> $ret {
            $crate::__private::$name(&super::__COMMON_SPEC)
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_hook {
    (enqueue) => { $crate::__export_fn!(enqueue -> ()); };
    (prefilter) => { $crate::__export_fn!(prefilter -> i32); };
    (filter) => { $crate::__export_fn!(filter -> i32); };
    (postfilter) => { $crate::__export_fn!(postfilter -> i64); };
    (prefilter_extensions) => {
        $crate::__export_fn!(addpod -> i32);
        $crate::__export_fn!(removepod -> i32);
    };
    (prescore) => { $crate::__export_fn!(prescore -> i32); };
    (score) => { $crate::__export_fn!(score -> i64); };
    (normalizescore) => {
        const _: () = $crate::__private::normalizescore_is_mishandled_by_the_upstream_host();
        $crate::__export_fn!(normalizescore -> i32);
    };
    (reserve) => {
        $crate::__export_fn!(reserve -> i32);
        $crate::__export_fn!(unreserve -> ());
    };
    (permit) => { $crate::__export_fn!(permit -> i64); };
    (prebind) => { $crate::__export_fn!(prebind -> i32); };
    (bind) => { $crate::__export_fn!(bind -> i32); };
    (postbind) => { $crate::__export_fn!(postbind -> ()); };
    ($other:ident) => {
        compile_error!(concat!("unknown hook `", stringify!($other), "`"));
    };
}
