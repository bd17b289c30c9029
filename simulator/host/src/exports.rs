//! Which hooks a guest exports, and which framework interfaces the host exposes for them
//! (docs/abi.md §2.1, §2.4).

use crate::module_info::{ModuleInfo, Val};
use std::fmt;

/// A guest hook export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hook {
    /// `enqueue` `() → ()`: EventsToRegister.
    Enqueue,
    /// `prefilter` `() → i32`.
    PreFilter,
    /// `filter` `() → i32`.
    Filter,
    /// `postfilter` `() → i64`.
    PostFilter,
    /// `prescore` `() → i32`.
    PreScore,
    /// `score` `() → i64`.
    Score,
    /// `normalizescore` `() → i32`.
    NormalizeScore,
    /// `reserve` `() → i32`.
    Reserve,
    /// `unreserve` `() → ()`.
    Unreserve,
    /// `permit` `() → i64`.
    Permit,
    /// `prebind` `() → i32`.
    PreBind,
    /// `bind` `() → i32`.
    Bind,
    /// `postbind` `() → ()`.
    PostBind,
    /// `addpod` `() → i32`.
    AddPod,
    /// `removepod` `() → i32`.
    RemovePod,
}

impl Hook {
    /// Every hook, in the order of docs/abi.md §2.1.
    pub const ALL: [Hook; 15] = [
        Hook::Enqueue,
        Hook::PreFilter,
        Hook::Filter,
        Hook::PostFilter,
        Hook::PreScore,
        Hook::Score,
        Hook::NormalizeScore,
        Hook::Reserve,
        Hook::Unreserve,
        Hook::Permit,
        Hook::PreBind,
        Hook::Bind,
        Hook::PostBind,
        Hook::AddPod,
        Hook::RemovePod,
    ];

    /// The export name, e.g. `normalizescore`.
    pub fn export_name(self) -> &'static str {
        match self {
            Hook::Enqueue => "enqueue",
            Hook::PreFilter => "prefilter",
            Hook::Filter => "filter",
            Hook::PostFilter => "postfilter",
            Hook::PreScore => "prescore",
            Hook::Score => "score",
            Hook::NormalizeScore => "normalizescore",
            Hook::Reserve => "reserve",
            Hook::Unreserve => "unreserve",
            Hook::Permit => "permit",
            Hook::PreBind => "prebind",
            Hook::Bind => "bind",
            Hook::PostBind => "postbind",
            Hook::AddPod => "addpod",
            Hook::RemovePod => "removepod",
        }
    }

    /// The result type the host requires (`None` for `() → ()`).
    pub(crate) fn result(self) -> Option<Val> {
        match self {
            Hook::Enqueue | Hook::Unreserve | Hook::PostBind => None,
            Hook::PostFilter | Hook::Score | Hook::Permit => Some(Val::I64),
            _ => Some(Val::I32),
        }
    }

    /// The signature text in the host's error message (wrong for addpod/removepod, as upstream).
    fn expected_text(self) -> &'static str {
        match self {
            Hook::AddPod | Hook::RemovePod => "() -> ()",
            h => match h.result() {
                None => "() -> ()",
                Some(Val::I64) => "() -> (i64)",
                Some(_) => "() -> (i32)",
            },
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.export_name())
    }
}

/// A framework extension point as kube-scheduler sees the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExtensionPoint {
    /// `EnqueueExtensions.EventsToRegister` (always exposed).
    EventsToRegister,
    /// `PreFilterPlugin.PreFilter` (always exposed).
    PreFilter,
    /// `PreFilterExtensions.AddPod/RemovePod`.
    PreFilterExtensions,
    /// `FilterPlugin.Filter`.
    Filter,
    /// `PostFilterPlugin.PostFilter`.
    PostFilter,
    /// `PreScorePlugin.PreScore`.
    PreScore,
    /// `ScorePlugin.Score`.
    Score,
    /// `ScoreExtensions.NormalizeScore`.
    NormalizeScore,
    /// `ReservePlugin.Reserve/Unreserve`.
    Reserve,
    /// `PermitPlugin.Permit`.
    Permit,
    /// `PreBindPlugin.PreBind`.
    PreBind,
    /// `BindPlugin.Bind`.
    Bind,
    /// `PostBindPlugin.PostBind`.
    PostBind,
}

/// The five "main" groups that decide which interfaces the host exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Groups {
    /// `filter` exported: PreFilter, Filter, PostFilter and PreFilterExtensions are exposed.
    pub filter: bool,
    /// `score` exported: PreScore, Score and ScoreExtensions are exposed.
    pub score: bool,
    /// `reserve` or `unreserve` exported.
    pub reserve: bool,
    /// `permit` exported.
    pub permit: bool,
    /// `bind` exported: PreBind, Bind and PostBind are exposed.
    pub bind: bool,
}

impl fmt::Display for Groups {
    /// Letters as in docs/abi.md §2.4, e.g. `FSRPB`, or `base` for the prefilter-only plugin.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        for (on, c) in [
            (self.filter, 'F'),
            (self.score, 'S'),
            (self.reserve, 'R'),
            (self.permit, 'P'),
            (self.bind, 'B'),
        ] {
            if on {
                s.push(c);
            }
        }
        if s.is_empty() {
            s.push_str("base");
        }
        f.write_str(&s)
    }
}

/// The hooks a guest exports and what the host exposes to the framework because of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exports {
    bits: u16,
}

impl Exports {
    /// Whether the guest exports `hook` (with the right signature).
    pub fn has(&self, hook: Hook) -> bool {
        self.bits & hook.bit() != 0
    }

    /// The exported hooks.
    pub fn hooks(&self) -> Vec<Hook> {
        Hook::ALL.into_iter().filter(|h| self.has(*h)).collect()
    }

    /// The main groups present.
    pub fn groups(&self) -> Groups {
        Groups {
            filter: self.has(Hook::Filter),
            score: self.has(Hook::Score),
            reserve: self.has(Hook::Reserve) || self.has(Hook::Unreserve),
            permit: self.has(Hook::Permit),
            bind: self.has(Hook::Bind),
        }
    }

    /// Whether the framework calls this extension point of the plugin: the interface is exposed
    /// and, for PreFilterExtensions and ScoreExtensions, the host returns a non-nil extension.
    pub fn exposes(&self, point: ExtensionPoint) -> bool {
        let g = self.groups();
        match point {
            ExtensionPoint::EventsToRegister | ExtensionPoint::PreFilter => true,
            ExtensionPoint::Filter | ExtensionPoint::PostFilter => g.filter,
            ExtensionPoint::PreFilterExtensions => {
                g.filter && (self.has(Hook::AddPod) || self.has(Hook::RemovePod))
            }
            ExtensionPoint::PreScore | ExtensionPoint::Score => g.score,
            ExtensionPoint::NormalizeScore => g.score && self.has(Hook::NormalizeScore),
            ExtensionPoint::Reserve => g.reserve,
            ExtensionPoint::Permit => g.permit,
            ExtensionPoint::PreBind | ExtensionPoint::Bind | ExtensionPoint::PostBind => g.bind,
        }
    }

    /// Detects hook exports and checks their signatures (load step 8). Hooks are checked in the
    /// §2.1 order, so the first wrong one is reported (upstream iterates a Go map, so its choice
    /// among several wrong exports is random).
    pub(crate) fn detect(info: &ModuleInfo) -> Result<Self, String> {
        let mut bits = 0;
        for hook in Hook::ALL {
            if let Some(sig) = info.exported_func(hook.export_name()) {
                let ok =
                    sig.params.is_empty() && sig.results.as_slice() == hook.result().as_slice();
                if !ok {
                    return Err(format!(
                        "wasm: guest exports the wrong signature for func[{}]. should be {}",
                        hook.export_name(),
                        hook.expected_text()
                    ));
                }
                bits |= hook.bit();
            }
        }
        if bits == 0 {
            return Err("wasm: guest does not export any plugin functions".into());
        }
        Ok(Self { bits })
    }

    /// Masks the interfaces (load step 10): the supported group sets of docs/abi.md §2.4.
    pub(crate) fn check_mask(&self) -> Result<(), String> {
        let g = self.groups();
        let set = (g.filter, g.score, g.reserve, g.permit, g.bind);
        let supported = matches!(
            set,
            (true, false, false, false, false)     // F
                | (false, true, false, false, false) // S
                | (false, false, true, false, false) // R
                | (false, false, false, true, false) // P
                | (false, false, false, false, true) // B
                | (true, true, false, false, false)  // FS
                | (true, false, true, false, false)  // FR
                | (true, false, false, true, false)  // FP
                | (true, false, false, false, true)  // FB
                | (false, true, true, false, false)  // SR
                | (false, true, false, true, false)  // SP
                | (false, true, false, false, true)  // SB
                | (false, false, true, false, true)  // RB
                | (false, false, false, true, true)  // PB
                | (true, true, true, false, false)   // FSR
                | (true, true, false, true, false)   // FSP
                | (true, true, false, false, true)   // FSB
                | (false, true, true, false, true)   // SRB
                | (false, true, false, true, true)   // SPB
                | (false, false, true, true, true)   // RPB
                | (true, true, true, false, true)    // FSRB
                | (true, true, false, true, true)    // FSPB
                | (true, true, true, true, true) // FSRPB
        );
        if supported || self.bits == Hook::PreFilter.bit() {
            Ok(())
        } else {
            Err("wasm: filter, score, reserve, permit or bind must be exported".into())
        }
    }

    #[cfg(test)]
    pub(crate) fn from_hooks(hooks: &[Hook]) -> Self {
        Self {
            bits: hooks.iter().fold(0, |b, h| b | h.bit()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Hook::*;

    fn mask(hooks: &[Hook]) -> Result<(), String> {
        Exports::from_hooks(hooks).check_mask()
    }

    #[test]
    fn supported_and_rejected_sets() {
        let groups: [(char, &[Hook]); 5] = [
            ('F', &[Filter]),
            ('S', &[Score]),
            ('R', &[Reserve, Unreserve]),
            ('P', &[Permit]),
            ('B', &[Bind]),
        ];
        let supported = [
            "F", "S", "R", "P", "B", "FS", "FR", "FP", "FB", "SR", "SP", "SB", "RB", "PB", "FSR",
            "FSP", "FSB", "SRB", "SPB", "RPB", "FSRB", "FSPB", "FSRPB",
        ];
        for bits in 1u32..32 {
            let mut name = String::new();
            let mut hooks = vec![Enqueue, PreFilter];
            for (i, (c, hs)) in groups.iter().enumerate() {
                if bits & (1 << i) != 0 {
                    name.push(*c);
                    hooks.extend_from_slice(hs);
                }
            }
            let e = Exports::from_hooks(&hooks);
            assert_eq!(e.groups().to_string(), name);
            assert_eq!(
                mask(&hooks).is_ok(),
                supported.contains(&name.as_str()),
                "{name}"
            );
        }
    }

    #[test]
    fn special_cases() {
        assert!(mask(&[PreFilter]).is_ok());
        let err = Err("wasm: filter, score, reserve, permit or bind must be exported".to_string());
        assert_eq!(mask(&[Enqueue]), err);
        assert_eq!(mask(&[PreScore]), err);
        assert_eq!(mask(&[NormalizeScore]), err);
        assert_eq!(mask(&[PreFilter, Enqueue]), err);
        assert!(
            mask(&[Unreserve]).is_ok(),
            "unreserve alone sets the reserve bit"
        );
    }

    #[test]
    fn exposure() {
        let e = Exports::from_hooks(&[PreFilter, Filter, Score]);
        assert!(e.exposes(ExtensionPoint::PostFilter));
        assert!(!e.exposes(ExtensionPoint::PreFilterExtensions));
        assert!(!e.exposes(ExtensionPoint::NormalizeScore));
        assert!(e.exposes(ExtensionPoint::PreScore));
        assert!(!e.exposes(ExtensionPoint::Bind));
    }
}
