//! Go parse tree → Thompson NFA (regex-automata's `thompson::Builder`), without recursion.
//!
//! regex-automata's own compiler (`thompson::Compiler`) recurses once per level of the regex
//! and overflows a 64 KiB wasm stack at about 70–130 levels (measured, see RATIONALE.md); Go
//! accepts 1000. This compiler walks the tree with an explicit task stack, so its stack use
//! does not depend on the pattern. Captures are dropped (only `is_match` is offered), except
//! the implicit group 0 the engines want.

use std::hash::Hasher;
use std::sync::{Arc, Mutex};

use regex_automata::nfa::thompson::{BuildError, Builder, NFA, Transition};

/// The NFA would exceed its memory bound (or regex-automata's state-ID space).
#[derive(Debug)]
pub(crate) struct TooBig;

impl From<BuildError> for TooBig {
    fn from(_: BuildError) -> TooBig {
        TooBig
    }
}
use regex_automata::util::look::Look;
use regex_automata::util::primitives::StateID;
use regex_syntax::utf8::{Utf8Range, Utf8Sequences};

use crate::class;
use crate::parse::{FOLD_CASE, NodeId, Op, Tree};

/// The compiled automaton and what the matcher needs to know about it.
pub(crate) struct Compiled {
    pub(crate) nfa: NFA,
    /// The pattern has `\B`, the one assertion that can hold inside a UTF-8 sequence, so an
    /// empty match found by the lazy DFA must be confirmed on a character boundary.
    pub(crate) has_not_word_boundary: bool,
}

#[derive(Clone, Copy)]
enum Task {
    /// Compile node `id` so that it continues at `next`; pushes its start state.
    Visit(NodeId, StateID),
    /// Pops the start of sub `i + 1` of concatenation `id` and compiles sub `i` before it.
    ConcatStep(NodeId, usize),
    /// Pops `k` starts and pushes a union of them.
    AlternateDone(usize),
    /// Pops the body of a loop whose union is `u` and closes it: `u` → body | `next`. Pushes
    /// `u` (for `x*`) or the body (for `x+`).
    LoopDone {
        u: StateID,
        next: StateID,
        plus: bool,
    },
    /// Pops a body and pushes a union of it and `next` (`x?`).
    QuestDone { next: StateID },
    /// Pops the start of the copies built so far and builds one more copy in front of it:
    /// first `opt` optional copies, then `req` required ones (see `repeat`).
    RepeatStep {
        sub: NodeId,
        next: StateID,
        opt: usize,
        req: usize,
    },
}

/// regex-automata's NFA builder with a budget counted in states and transitions, the same on
/// every target (a heap-byte limit is not: wasm32's states are half the size of x86-64's, so a
/// byte bound let `\pL{1000}` through in the guests only).
struct Nfa {
    b: Builder,
    units: usize,
    limit: usize,
}

impl Nfa {
    fn charge(&mut self, n: usize) -> Result<(), TooBig> {
        self.units = self.units.saturating_add(n);
        if self.units > self.limit {
            return Err(TooBig);
        }
        Ok(())
    }

    fn add_range(&mut self, t: Transition) -> Result<StateID, TooBig> {
        self.charge(1)?;
        Ok(self.b.add_range(t)?)
    }

    fn add_sparse(&mut self, trans: Vec<Transition>) -> Result<StateID, TooBig> {
        self.charge(1 + trans.len())?;
        Ok(self.b.add_sparse(trans)?)
    }

    fn add_union(&mut self, alts: Vec<StateID>) -> Result<StateID, TooBig> {
        self.charge(1 + alts.len())?;
        Ok(self.b.add_union(alts)?)
    }

    fn add_look(&mut self, next: StateID, look: Look) -> Result<StateID, TooBig> {
        self.charge(1)?;
        Ok(self.b.add_look(next, look)?)
    }

    fn add_fail(&mut self) -> Result<StateID, TooBig> {
        self.charge(1)?;
        Ok(self.b.add_fail()?)
    }

    fn patch(&mut self, from: StateID, to: StateID) -> Result<(), TooBig> {
        self.charge(1)?;
        Ok(self.b.patch(from, to)?)
    }
}

/// Compiles `tree` into an NFA of at most `max_units` states and transitions together.
pub(crate) fn compile(tree: &Tree, max_units: usize) -> Result<Compiled, TooBig> {
    let mut c = Compiler {
        b: Nfa {
            b: Builder::new(),
            units: 0,
            limit: max_units,
        },
        tree,
        has_not_word_boundary: false,
        trie: Utf8Trie::new(),
        dot: None,
        templates: Vec::new(),
        seen_classes: Vec::new(),
    };
    c.b.b.set_utf8(true);
    c.b.b.start_pattern()?;
    // Built back to front, so every piece knows where it continues and nothing is patched
    // except loop unions.
    let matched = c.b.b.add_match()?;
    let cap_end = c.b.b.add_capture_end(matched, 0)?;
    let body = c.node(tree.root, cap_end)?;
    let cap_start = c.b.b.add_capture_start(body, 0, None)?;
    c.b.b.finish_pattern(cap_start)?;
    let unanchored = if anchored_at_start(tree) {
        cap_start
    } else {
        // (?s-u:.)*? in front: any byte, any number of times, pattern preferred.
        let lazy = c.b.add_union(vec![cap_start])?;
        let any = c.b.add_range(Transition {
            start: 0,
            end: 255,
            next: lazy,
        })?;
        c.b.patch(lazy, any)?;
        lazy
    };
    let nfa = c.b.b.build(cap_start, unanchored)?;
    Ok(Compiled {
        nfa,
        has_not_word_boundary: c.has_not_word_boundary,
    })
}

struct Compiler<'t> {
    b: Nfa,
    tree: &'t Tree,
    has_not_word_boundary: bool,
    trie: Utf8Trie,
    /// `(AnyCharNotNL or AnyChar, next)` → start, for reuse of `.` compiled to the same place.
    dot: Option<(bool, StateID, StateID)>,
    /// Compiled shapes of the large classes met so far, by node: a repeated class (`\pL{63}`)
    /// is copied from its template instead of being rebuilt from UTF-8 sequences.
    templates: Vec<(NodeId, Arc<Template>)>,
    /// Class nodes compiled once already.
    seen_classes: Vec<NodeId>,
}

/// A class automaton with its continuation left open: states in creation order, each a list of
/// transitions whose target is an earlier state (its index) or `OPEN` (the continuation).
struct Template {
    states: Vec<Vec<(u8, u8, u32)>>,
    root: u32,
}

const OPEN: u32 = u32::MAX;

/// Classes with at least this many range bounds (`\pL`, `\p{Greek}`, negations, …) are kept
/// in a process-wide cache, so a guest that compiles its pattern on every call builds each
/// such class's automaton once.
const SHARED_MIN_RUNES: usize = 64;

/// Entries of the process-wide class cache (oldest dropped first).
const SHARED_MAX: usize = 16;

/// The process-wide class cache: class ranges → template. Used with `try_lock` only (a
/// lock held by a trapped call is skipped, never waited for); `Mutex::new` is const, so there
/// is no static constructor.
static SHARED: Mutex<Vec<(Vec<i32>, Arc<Template>)>> = Mutex::new(Vec::new());

fn shared_template(runes: &[i32]) -> Option<Arc<Template>> {
    let cache = SHARED.try_lock().ok()?;
    cache
        .iter()
        .find(|(r, _)| r.as_slice() == runes)
        .map(|(_, t)| Arc::clone(t))
}

fn remember_template(runes: &[i32], t: &Arc<Template>) {
    if let Ok(mut cache) = SHARED.try_lock() {
        if cache.len() >= SHARED_MAX {
            cache.remove(0);
        }
        cache.push((runes.to_vec(), Arc::clone(t)));
    }
}

/// Turns the states recorded while building a class into a template (`None` if a transition
/// leaves the class other than to `next`, which the trie never does).
fn make_template(
    added: &[(StateID, Vec<Transition>)],
    start: StateID,
    next: StateID,
) -> Option<Template> {
    let local = |sid: StateID| -> Option<u32> {
        added
            .binary_search_by_key(&sid, |(s, _)| *s)
            .ok()
            .map(|i| i as u32)
    };
    let mut states = Vec::with_capacity(added.len());
    for (_, trans) in added {
        let mut out = Vec::with_capacity(trans.len());
        for t in trans {
            let to = if t.next == next { OPEN } else { local(t.next)? };
            out.push((t.start, t.end, to));
        }
        states.push(out);
    }
    Some(Template {
        states,
        root: local(start)?,
    })
}

/// Classes smaller than this many states are rebuilt rather than kept as templates.
const TEMPLATE_MIN_STATES: usize = 8;

/// Whether every match must start at the beginning of the text (`^…` or `\A…`).
pub(crate) fn anchored_at_start(tree: &Tree) -> bool {
    let nodes = &tree.nodes;
    let mut id = tree.root;
    // Captures and concatenations are looked through; the depth is bounded by the tree.
    for _ in 0..nodes.len() {
        let n = &nodes[id];
        match n.op {
            Op::BeginText => return true,
            Op::Capture | Op::Concat => match n.subs.first() {
                Some(&s) => id = s,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

impl Compiler<'_> {
    /// Compiles the subtree at `root` to continue at `next` (iteratively); returns its start.
    fn node(&mut self, root: NodeId, next: StateID) -> Result<StateID, TooBig> {
        let tree = self.tree;
        let mut tasks = vec![Task::Visit(root, next)];
        let mut values: Vec<StateID> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(id, next) => {
                    let n = &tree.nodes[id];
                    let start = match n.op {
                        Op::NoMatch => self.b.add_fail()?,
                        Op::EmptyMatch | Op::LeftParen | Op::VerticalBar => next,
                        Op::Literal => self.literal(&n.runes, n.flags & FOLD_CASE != 0, next)?,
                        Op::CharClass => self.class_node(id, &n.runes, next)?,
                        Op::AnyCharNotNL => self.dot(false, next)?,
                        Op::AnyChar => self.dot(true, next)?,
                        Op::BeginLine => self.b.add_look(next, Look::StartLF)?,
                        Op::EndLine => self.b.add_look(next, Look::EndLF)?,
                        Op::BeginText => self.b.add_look(next, Look::Start)?,
                        Op::EndText => self.b.add_look(next, Look::End)?,
                        Op::WordBoundary => self.b.add_look(next, Look::WordAscii)?,
                        Op::NoWordBoundary => {
                            self.has_not_word_boundary = true;
                            self.b.add_look(next, Look::WordAsciiNegate)?
                        }
                        Op::Capture => match n.subs.first() {
                            Some(&s) => {
                                tasks.push(Task::Visit(s, next));
                                continue;
                            }
                            None => next,
                        },
                        Op::Star | Op::Plus | Op::Quest | Op::Repeat => {
                            let Some(&sub) = n.subs.first() else {
                                values.push(next);
                                continue;
                            };
                            let (min, max) = match n.op {
                                Op::Star => (0, -1),
                                Op::Plus => (1, -1),
                                Op::Quest => (0, 1),
                                _ => (n.min.max(0), n.max),
                            };
                            self.repeat(&mut tasks, &mut values, sub, min, max, next)?;
                            continue;
                        }
                        Op::Concat => match n.subs.split_last() {
                            Some((&last, rest)) => {
                                if !rest.is_empty() {
                                    tasks.push(Task::ConcatStep(id, rest.len() - 1));
                                }
                                tasks.push(Task::Visit(last, next));
                                continue;
                            }
                            None => next,
                        },
                        Op::Alternate => match n.subs.as_slice() {
                            [] => self.b.add_fail()?,
                            [one] => {
                                tasks.push(Task::Visit(*one, next));
                                continue;
                            }
                            subs => {
                                tasks.push(Task::AlternateDone(subs.len()));
                                tasks.extend(subs.iter().rev().map(|&s| Task::Visit(s, next)));
                                continue;
                            }
                        },
                    };
                    values.push(start);
                }
                Task::ConcatStep(id, i) => {
                    let after = pop(&mut values, next);
                    let sub = tree.nodes[id].subs[i];
                    if i > 0 {
                        tasks.push(Task::ConcatStep(id, i - 1));
                    }
                    tasks.push(Task::Visit(sub, after));
                }
                Task::AlternateDone(k) => {
                    let starts = values.split_off(values.len().saturating_sub(k));
                    let u = self.b.add_union(starts)?;
                    values.push(u);
                }
                Task::LoopDone { u, next, plus } => {
                    let body = pop(&mut values, next);
                    self.b.patch(u, body)?;
                    self.b.patch(u, next)?;
                    values.push(if plus { body } else { u });
                }
                Task::QuestDone { next } => {
                    let body = pop(&mut values, next);
                    let u = self.b.add_union(vec![body, next])?;
                    values.push(u);
                }
                Task::RepeatStep {
                    sub,
                    next,
                    opt,
                    req,
                } => {
                    let cur = pop(&mut values, next);
                    if opt > 0 {
                        tasks.push(Task::RepeatStep {
                            sub,
                            next,
                            opt: opt - 1,
                            req,
                        });
                        tasks.push(Task::QuestDone { next });
                        tasks.push(Task::Visit(sub, cur));
                    } else if req > 0 {
                        tasks.push(Task::RepeatStep {
                            sub,
                            next,
                            opt,
                            req: req - 1,
                        });
                        tasks.push(Task::Visit(sub, cur));
                    } else {
                        values.push(cur);
                    }
                }
            }
        }
        Ok(pop(&mut values, next))
    }

    /// Schedules `sub{min,max}` (`max == -1`: unbounded) continuing at `next`.
    ///
    /// `x{2,5}` is `xx(x(x(x)?)?)?`, built back to front: the innermost optional copy first
    /// (each optional copy may be skipped, and skipping one skips the rest: every skip goes to
    /// `next`), then the required ones. `x{n,}` is `x{n-1}x+`.
    fn repeat(
        &mut self,
        tasks: &mut Vec<Task>,
        values: &mut Vec<StateID>,
        sub: NodeId,
        min: i32,
        max: i32,
        next: StateID,
    ) -> Result<(), TooBig> {
        let min = min.max(0) as usize;
        if max < 0 {
            let u = self.b.add_union(vec![])?;
            let plus = min > 0;
            tasks.push(Task::RepeatStep {
                sub,
                next,
                opt: 0,
                req: min.saturating_sub(1),
            });
            tasks.push(Task::LoopDone { u, next, plus });
            tasks.push(Task::Visit(sub, u));
            return Ok(());
        }
        let max = max as usize;
        values.push(next);
        tasks.push(Task::RepeatStep {
            sub,
            next,
            opt: max.saturating_sub(min),
            req: min.min(max),
        });
        Ok(())
    }

    fn literal(&mut self, runes: &[i32], fold: bool, next: StateID) -> Result<StateID, TooBig> {
        let mut cur = next;
        for &r in runes.iter().rev() {
            if fold && class::simple_fold(r) != r {
                let mut orbit = vec![r];
                let mut f = class::simple_fold(r);
                while f != r && orbit.len() < 16 {
                    orbit.push(f);
                    f = class::simple_fold(f);
                }
                let mut ranges: Vec<i32> = orbit.iter().flat_map(|&c| [c, c]).collect();
                class::clean_class(&mut ranges);
                cur = self.class(&ranges, cur)?;
                continue;
            }
            match u32::try_from(r).ok().and_then(char::from_u32) {
                Some(c) => {
                    let mut buf = [0u8; 4];
                    for &byte in c.encode_utf8(&mut buf).as_bytes().iter().rev() {
                        cur = self.b.add_range(Transition {
                            start: byte,
                            end: byte,
                            next: cur,
                        })?;
                    }
                }
                // A surrogate (Go accepts `\x{D800}`) never occurs in UTF-8 text.
                None => cur = self.b.add_fail()?,
            }
        }
        Ok(cur)
    }

    /// `.` (any character but `\n`) or `(?s:.)`, compiled by hand: the UTF-8 automaton for all
    /// scalar values, with shared continuation-byte states.
    fn dot(&mut self, with_nl: bool, next: StateID) -> Result<StateID, TooBig> {
        if let Some((nl, at, start)) = self.dot
            && nl == with_nl
            && at == next
        {
            return Ok(start);
        }
        let t = |start: u8, end: u8, next: StateID| Transition { start, end, next };
        let c1 = self.b.add_range(t(0x80, 0xBF, next))?;
        let c2 = self.b.add_range(t(0x80, 0xBF, c1))?;
        let c3 = self.b.add_range(t(0x80, 0xBF, c2))?;
        let e0 = self.b.add_range(t(0xA0, 0xBF, c1))?;
        let ed = self.b.add_range(t(0x80, 0x9F, c1))?;
        let f0 = self.b.add_range(t(0x90, 0xBF, c2))?;
        let f4 = self.b.add_range(t(0x80, 0x8F, c2))?;
        let mut trans = Vec::with_capacity(11);
        if with_nl {
            trans.push(t(0x00, 0x7F, next));
        } else {
            trans.push(t(0x00, 0x09, next));
            trans.push(t(0x0B, 0x7F, next));
        }
        trans.extend([
            t(0xC2, 0xDF, c1),
            t(0xE0, 0xE0, e0),
            t(0xE1, 0xEC, c2),
            t(0xED, 0xED, ed),
            t(0xEE, 0xEF, c2),
            t(0xF0, 0xF0, f0),
            t(0xF1, 0xF3, c3),
            t(0xF4, 0xF4, f4),
        ]);
        let start = self.b.add_sparse(trans)?;
        self.dot = Some((with_nl, next, start));
        Ok(start)
    }

    /// A class node: from its template if it was compiled before, else built (and kept as a
    /// template if large).
    fn class_node(&mut self, id: NodeId, runes: &[i32], next: StateID) -> Result<StateID, TooBig> {
        if let Some(t) = self
            .templates
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, t)| Arc::clone(t))
        {
            return self.replay(&t, next);
        }
        let shared = runes.len() >= SHARED_MIN_RUNES;
        if shared && let Some(t) = shared_template(runes) {
            self.templates.push((id, Arc::clone(&t)));
            return self.replay(&t, next);
        }
        // A small class's first copy is built plainly; a second copy (or a large class's
        // first) is recorded as a template.
        if !shared && !self.seen_classes.contains(&id) {
            self.seen_classes.push(id);
            return self.class(runes, next);
        }
        self.trie.added.clear();
        self.trie.recording = true;
        let start = self.class(runes, next);
        self.trie.recording = false;
        let start = start?;
        let added = std::mem::take(&mut self.trie.added);
        if added.len() >= TEMPLATE_MIN_STATES
            && let Some(t) = make_template(&added, start, next)
        {
            let t = Arc::new(t);
            if shared {
                remember_template(runes, &t);
            }
            self.templates.push((id, t));
        }
        self.trie.added = added;
        self.trie.added.clear();
        Ok(start)
    }

    /// Adds a copy of a template's states, continuing at `next`; returns its start.
    fn replay(&mut self, t: &Template, next: StateID) -> Result<StateID, TooBig> {
        let mut ids: Vec<StateID> = Vec::with_capacity(t.states.len());
        for trans in &t.states {
            let map = |&(start, end, to): &(u8, u8, u32)| Transition {
                start,
                end,
                next: if to == OPEN {
                    next
                } else {
                    ids.get(to as usize).copied().unwrap_or(next)
                },
            };
            let sid = if let [one] = trans.as_slice() {
                self.b.add_range(map(one))?
            } else {
                let mapped = trans.iter().map(map).collect();
                self.b.add_sparse(mapped)?
            };
            ids.push(sid);
        }
        Ok(ids.get(t.root as usize).copied().unwrap_or(next))
    }

    /// A rune class as UTF-8 byte sequences: a trie built from sorted sequences with shared
    /// suffixes (Daciuk et al.'s incremental construction of a minimal acyclic automaton).
    fn class(&mut self, runes: &[i32], next: StateID) -> Result<StateID, TooBig> {
        let mut ranges: Vec<i32> = runes.to_vec();
        class::clean_class(&mut ranges);
        let mut scalar: Vec<(u32, u32)> = Vec::with_capacity(ranges.len() / 2 + 1);
        for p in ranges.chunks_exact(2) {
            let (lo, hi) = (p[0].max(0) as u32, p[1].min(class::MAX_RUNE) as u32);
            if lo > hi {
                continue;
            }
            // Surrogates are not characters: split around them.
            if hi < 0xD800 || lo > 0xDFFF {
                scalar.push((lo, hi));
            } else {
                if lo < 0xD800 {
                    scalar.push((lo, 0xD7FF));
                }
                if hi > 0xDFFF {
                    scalar.push((0xE000, hi));
                }
            }
        }
        if scalar.is_empty() {
            return self.b.add_fail();
        }
        if scalar.iter().all(|&(_, hi)| hi < 0x80) {
            let trans = scalar
                .iter()
                .map(|&(lo, hi)| Transition {
                    start: lo as u8,
                    end: hi as u8,
                    next,
                })
                .collect();
            return self.b.add_sparse(trans);
        }
        self.trie.reset(next);
        for (lo, hi) in scalar {
            let (Some(lo), Some(hi)) = (char::from_u32(lo), char::from_u32(hi)) else {
                continue;
            };
            for seq in Utf8Sequences::new(lo, hi) {
                self.trie.add(&mut self.b, seq.as_slice())?;
            }
        }
        self.trie.finish(&mut self.b)
    }
}

fn pop(values: &mut Vec<StateID>, fallback: StateID) -> StateID {
    values.pop().unwrap_or(fallback)
}

#[derive(Default)]
struct TrieNode {
    trans: Vec<Transition>,
    /// The newest edge, whose target is still being built.
    last: Option<(u8, u8)>,
}

/// Slots of the suffix cache. A collision overwrites (the automaton stays correct, only less
/// shared), which keeps memory and time bounded for huge classes.
const TRIE_CACHE_SLOTS: usize = 1024;

struct Utf8Trie {
    target: StateID,
    /// The path of the most recently added sequence, root first.
    stack: Vec<TrieNode>,
    /// Spare nodes, to avoid reallocating their transition lists.
    spare: Vec<TrieNode>,
    /// Frozen states by their transitions (hashed into fixed slots), tagged with `version` so
    /// that `reset` does not have to clear it.
    cache: Vec<(u32, Vec<Transition>, StateID)>,
    version: u32,
    /// States added while `recording`, in creation order (increasing IDs).
    added: Vec<(StateID, Vec<Transition>)>,
    recording: bool,
}

impl Utf8Trie {
    fn new() -> Utf8Trie {
        Utf8Trie {
            target: StateID::ZERO,
            stack: Vec::new(),
            spare: Vec::new(),
            cache: Vec::new(),
            version: 0,
            added: Vec::new(),
            recording: false,
        }
    }

    fn reset(&mut self, target: StateID) {
        self.target = target;
        while let Some(n) = self.stack.pop() {
            self.recycle(n);
        }
        let root = self.node();
        self.stack.push(root);
        self.version = self.version.wrapping_add(1);
        if self.version == 0 {
            self.cache.clear();
            self.version = 1;
        }
    }

    fn node(&mut self) -> TrieNode {
        self.spare.pop().unwrap_or_default()
    }

    fn recycle(&mut self, mut n: TrieNode) {
        n.trans.clear();
        n.last = None;
        self.spare.push(n);
    }

    fn add(&mut self, b: &mut Nfa, seq: &[Utf8Range]) -> Result<(), TooBig> {
        let prefix = seq
            .iter()
            .zip(&self.stack)
            .take_while(|(r, n)| n.last == Some((r.start, r.end)))
            .count();
        if prefix >= seq.len() {
            return Ok(());
        }
        self.freeze_from(b, prefix)?;
        if let Some(top) = self.stack.last_mut() {
            top.last = Some((seq[prefix].start, seq[prefix].end));
        }
        for r in &seq[prefix + 1..] {
            let mut n = self.node();
            n.last = Some((r.start, r.end));
            self.stack.push(n);
        }
        Ok(())
    }

    /// Freezes every node deeper than `from` and closes `from`'s pending edge.
    fn freeze_from(&mut self, b: &mut Nfa, from: usize) -> Result<(), TooBig> {
        let mut next = self.target;
        while self.stack.len() > from + 1 {
            let Some(mut node) = self.stack.pop() else {
                break;
            };
            if let Some((start, end)) = node.last.take() {
                node.trans.push(Transition { start, end, next });
            }
            next = self.freeze(b, &node.trans)?;
            self.recycle(node);
        }
        if let Some(top) = self.stack.last_mut()
            && let Some((start, end)) = top.last.take()
        {
            top.trans.push(Transition { start, end, next });
        }
        Ok(())
    }

    fn freeze(&mut self, b: &mut Nfa, trans: &[Transition]) -> Result<StateID, TooBig> {
        let mut h = FxHasher::default();
        for t in trans {
            h.add(u64::from(t.start) | u64::from(t.end) << 8 | u64::from(t.next.as_u32()) << 16);
        }
        let slot = (h.finish() % TRIE_CACHE_SLOTS as u64) as usize;
        if let Some((v, cached, id)) = self.cache.get(slot)
            && *v == self.version
            && cached.as_slice() == trans
        {
            return Ok(*id);
        }
        let id = if trans.len() == 1 {
            b.add_range(trans[0])?
        } else {
            b.add_sparse(trans.to_vec())?
        };
        if self.recording {
            self.added.push((id, trans.to_vec()));
        }
        if self.cache.len() < TRIE_CACHE_SLOTS {
            self.cache
                .resize_with(TRIE_CACHE_SLOTS, || (0, Vec::new(), StateID::ZERO));
        }
        let entry = &mut self.cache[slot];
        entry.0 = self.version;
        entry.1.clear();
        entry.1.extend_from_slice(trans);
        entry.2 = id;
        Ok(id)
    }

    fn finish(&mut self, b: &mut Nfa) -> Result<StateID, TooBig> {
        self.freeze_from(b, 0)?;
        let root = self.stack.pop().unwrap_or_default();
        let id = self.freeze(b, &root.trans);
        self.recycle(root);
        id
    }
}

/// A small multiplicative hasher (FxHash) for the suffix cache: deterministic and cheap, and
/// it needs no random seed from the host.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

impl FxHasher {
    fn add(&mut self, v: u64) {
        self.hash = (self.hash.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
