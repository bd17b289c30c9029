//! Shortcuts for patterns that need no automaton.
//!
//! `is_match` only asks whether some match exists, so a piece that can always match the empty
//! string without any assertion (`x*`, `x?`, `x{0,n}`) at either end of the pattern can be
//! dropped: `kubecon-.*` matches exactly the texts that contain `kubecon-`. What remains is
//! often a plain literal, optionally anchored with `^`/`\A` and `$`/`\z`, which a substring
//! test answers without compiling anything.

use crate::parse::{FOLD_CASE, NodeId, Op, Tree};

/// How a pattern is matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Matches every text.
    Always,
    /// The text must contain `text` (at the start if `start`, at the end if `end`).
    Literal {
        text: String,
        start: bool,
        end: bool,
    },
    /// Needs the automaton.
    Automaton,
}

/// Whether the node can match the empty string along a path without assertions.
fn skippable(tree: &Tree, id: NodeId) -> bool {
    let n = &tree.nodes[id];
    match n.op {
        Op::EmptyMatch | Op::Star | Op::Quest => true,
        Op::Repeat => n.min == 0,
        Op::Capture => n.subs.first().is_some_and(|&s| skippable_shallow(tree, s)),
        _ => false,
    }
}

/// `skippable` for a capture's content, without further recursion.
fn skippable_shallow(tree: &Tree, id: NodeId) -> bool {
    let n = &tree.nodes[id];
    matches!(n.op, Op::EmptyMatch | Op::Star | Op::Quest) || (n.op == Op::Repeat && n.min == 0)
}

/// Chooses the plan for `tree`.
pub(crate) fn plan(tree: &Tree) -> Plan {
    // Flatten the top-level concatenation, looking through captures.
    let mut items: Vec<NodeId> = Vec::new();
    let mut work = vec![tree.root];
    let mut budget = tree.nodes.len() + 1;
    while let Some(id) = work.pop() {
        budget = budget.saturating_sub(1);
        if budget == 0 {
            return Plan::Automaton;
        }
        let n = &tree.nodes[id];
        match n.op {
            Op::Capture => match n.subs.first() {
                Some(&s) => work.push(s),
                None => return Plan::Automaton,
            },
            Op::Concat => work.extend(n.subs.iter().rev()),
            _ => items.push(id),
        }
    }
    let first = items.iter().position(|&id| !skippable(tree, id));
    let last = items.iter().rposition(|&id| !skippable(tree, id));
    let (Some(first), Some(last)) = (first, last) else {
        return Plan::Always;
    };
    let mut core = &items[first..=last];
    let mut start = false;
    let mut end = false;
    if let Some((&id, rest)) = core.split_first()
        && tree.nodes[id].op == Op::BeginText
    {
        start = true;
        core = rest;
    }
    if let Some((&id, rest)) = core.split_last()
        && tree.nodes[id].op == Op::EndText
    {
        end = true;
        core = rest;
    }
    let mut text = String::new();
    for &id in core {
        let n = &tree.nodes[id];
        if n.op != Op::Literal {
            return Plan::Automaton;
        }
        for &r in &n.runes {
            if n.flags & FOLD_CASE != 0 && crate::class::simple_fold(r) != r {
                return Plan::Automaton;
            }
            match u32::try_from(r).ok().and_then(char::from_u32) {
                Some(c) => text.push(c),
                None => return Plan::Automaton,
            }
        }
    }
    Plan::Literal { text, start, end }
}

impl Plan {
    /// Answers `is_match` for a literal plan (`None` for an automaton).
    pub(crate) fn is_match(&self, haystack: &str) -> Option<bool> {
        match self {
            Plan::Always => Some(true),
            Plan::Literal { text, start, end } => Some(match (start, end) {
                (false, false) => contains(haystack, text),
                (true, false) => haystack.starts_with(text.as_str()),
                (false, true) => haystack.ends_with(text.as_str()),
                (true, true) => haystack == text,
            }),
            Plan::Automaton => None,
        }
    }
}

/// Substring test. For short haystacks (node names) a first-byte scan beats setting up the
/// standard library's Two-Way searcher; long ones use the latter (linear time).
fn contains(haystack: &str, needle: &str) -> bool {
    if haystack.len() > 256 {
        return haystack.contains(needle);
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    let Some(last_start) = h.len().checked_sub(n.len()) else {
        return false;
    };
    (0..=last_start).any(|i| h[i] == first && h[i + 1..].starts_with(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn p(s: &str) -> Plan {
        plan(&parse(s).unwrap())
    }

    fn lit(text: &str, start: bool, end: bool) -> Plan {
        Plan::Literal {
            text: text.to_string(),
            start,
            end,
        }
    }

    #[test]
    fn plans() {
        assert_eq!(p("kubecon-.*"), lit("kubecon-", false, false));
        assert_eq!(p("^kubecon-"), lit("kubecon-", true, false));
        assert_eq!(p(r"\Akube\z"), lit("kube", true, true));
        assert_eq!(p("^$"), lit("", true, true));
        assert_eq!(p("(kube)con$"), lit("kubecon", false, true));
        assert_eq!(p(".*kube.*"), lit("kube", false, false));
        assert_eq!(p("a*"), Plan::Always);
        assert_eq!(p(""), Plan::Always);
        assert_eq!(p("(?i)kube"), Plan::Automaton);
        assert_eq!(p("(?i)-1"), lit("-1", false, false));
        assert_eq!(p("(?m)^kube"), Plan::Automaton);
        assert_eq!(p("kube.+"), Plan::Automaton);
        assert_eq!(p("a*^kube"), lit("kube", true, false));
        assert_eq!(p(r"\x{D800}"), Plan::Automaton);
    }

    #[test]
    fn substring() {
        assert!(contains("kubecon-1", "kubecon-"));
        assert!(contains("xkubecon-", "kubecon-"));
        assert!(!contains("kubecon", "kubecon-"));
        assert!(contains("", ""));
        assert!(!contains("", "a"));
        let long = "ab".repeat(300) + "kubecon-";
        assert!(contains(&long, "kubecon-"));
        assert!(!contains(&long, "kubecon-x"));
    }
}
