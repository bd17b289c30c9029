//! Go parse tree → Thompson NFA (regex-automata's `thompson::Builder`), without recursion.
//!
//! regex-automata's own compiler (`thompson::Compiler`) recurses once per level of the regex
//! and overflows a 64 KiB wasm stack at about 70–130 levels (measured, see RATIONALE.md); Go
//! accepts 1000. This compiler walks the tree with an explicit task stack, so its stack use
//! does not depend on the pattern. Captures are dropped (only `is_match` is offered), except
//! the implicit group 0 the engines want.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use regex_automata::nfa::thompson::{BuildError, Builder, NFA, Transition};
use regex_automata::util::look::Look;
use regex_automata::util::primitives::StateID;
use regex_syntax::utf8::Utf8Sequences;

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
struct Frag {
    start: StateID,
    /// A patchable state (never a sparse one) that the next piece is attached to.
    end: StateID,
}

#[derive(Clone, Copy)]
enum Task {
    Visit(NodeId),
    Concat(usize),
    Alternate(usize),
    Star,
    Plus,
    Quest,
    /// `count` compiled copies are on the value stack.
    Repeat {
        min: i32,
        max: i32,
        count: usize,
    },
}

/// Compiles `tree` into an NFA whose heap use stays under `size_limit` bytes.
pub(crate) fn compile(tree: &Tree, size_limit: usize) -> Result<Compiled, BuildError> {
    let mut c = Compiler {
        b: Builder::new(),
        tree,
        has_not_word_boundary: false,
    };
    c.b.set_utf8(true);
    c.b.set_size_limit(Some(size_limit))?;
    c.b.start_pattern()?;
    let cap_start = c.b.add_capture_start(StateID::ZERO, 0, None)?;
    let body = c.node(tree.root)?;
    let cap_end = c.b.add_capture_end(StateID::ZERO, 0)?;
    let matched = c.b.add_match()?;
    c.b.patch(cap_start, body.start)?;
    c.b.patch(body.end, cap_end)?;
    c.b.patch(cap_end, matched)?;
    c.b.finish_pattern(cap_start)?;
    let unanchored = if c.anchored_at_start() {
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
    let nfa = c.b.build(cap_start, unanchored)?;
    Ok(Compiled {
        nfa,
        has_not_word_boundary: c.has_not_word_boundary,
    })
}

struct Compiler<'t> {
    b: Builder,
    tree: &'t Tree,
    has_not_word_boundary: bool,
}

impl Compiler<'_> {
    /// Whether every match must start at the beginning of the text (`^…` or `\A…`).
    fn anchored_at_start(&self) -> bool {
        let nodes = &self.tree.nodes;
        let mut id = self.tree.root;
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

    fn empty(&mut self) -> Result<Frag, BuildError> {
        let e = self.b.add_empty()?;
        Ok(Frag { start: e, end: e })
    }

    fn fail(&mut self) -> Result<Frag, BuildError> {
        let start = self.b.add_fail()?;
        let end = self.b.add_empty()?;
        Ok(Frag { start, end })
    }

    fn look(&mut self, look: Look) -> Result<Frag, BuildError> {
        let s = self.b.add_look(StateID::ZERO, look)?;
        Ok(Frag { start: s, end: s })
    }

    /// Compiles the subtree at `root` (iteratively).
    fn node(&mut self, root: NodeId) -> Result<Frag, BuildError> {
        let tree = self.tree;
        let mut tasks = vec![Task::Visit(root)];
        let mut values: Vec<Frag> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(id) => {
                    let n = &tree.nodes[id];
                    let frag = match n.op {
                        Op::NoMatch => self.fail()?,
                        Op::EmptyMatch | Op::LeftParen | Op::VerticalBar => self.empty()?,
                        Op::Literal => self.literal(&n.runes, n.flags & FOLD_CASE != 0)?,
                        Op::CharClass => self.class(&n.runes)?,
                        Op::AnyCharNotNL => self.class(&[0, 9, 11, class::MAX_RUNE])?,
                        Op::AnyChar => self.class(&[0, class::MAX_RUNE])?,
                        Op::BeginLine => self.look(Look::StartLF)?,
                        Op::EndLine => self.look(Look::EndLF)?,
                        Op::BeginText => self.look(Look::Start)?,
                        Op::EndText => self.look(Look::End)?,
                        Op::WordBoundary => self.look(Look::WordAscii)?,
                        Op::NoWordBoundary => {
                            self.has_not_word_boundary = true;
                            self.look(Look::WordAsciiNegate)?
                        }
                        Op::Capture => {
                            match n.subs.first() {
                                Some(&s) => tasks.push(Task::Visit(s)),
                                None => values.push(self.empty()?),
                            }
                            continue;
                        }
                        Op::Star | Op::Plus | Op::Quest => {
                            let Some(&s) = n.subs.first() else {
                                values.push(self.empty()?);
                                continue;
                            };
                            tasks.push(match n.op {
                                Op::Star => Task::Star,
                                Op::Plus => Task::Plus,
                                _ => Task::Quest,
                            });
                            tasks.push(Task::Visit(s));
                            continue;
                        }
                        Op::Repeat => {
                            let Some(&s) = n.subs.first() else {
                                values.push(self.empty()?);
                                continue;
                            };
                            if n.max == 0 {
                                values.push(self.empty()?);
                                continue;
                            }
                            let count = if n.max < 0 {
                                n.min.max(1) as usize
                            } else {
                                n.max as usize
                            };
                            tasks.push(Task::Repeat {
                                min: n.min,
                                max: n.max,
                                count,
                            });
                            tasks.extend(std::iter::repeat_n(Task::Visit(s), count));
                            continue;
                        }
                        Op::Concat | Op::Alternate => {
                            if n.subs.is_empty() {
                                values.push(if n.op == Op::Concat {
                                    self.empty()?
                                } else {
                                    self.fail()?
                                });
                                continue;
                            }
                            tasks.push(if n.op == Op::Concat {
                                Task::Concat(n.subs.len())
                            } else {
                                Task::Alternate(n.subs.len())
                            });
                            tasks.extend(n.subs.iter().rev().map(|&s| Task::Visit(s)));
                            continue;
                        }
                    };
                    values.push(frag);
                }
                Task::Concat(k) => {
                    let parts = values.split_off(values.len().saturating_sub(k));
                    let f = self.chain(&parts)?;
                    values.push(f);
                }
                Task::Alternate(k) => {
                    let parts = values.split_off(values.len().saturating_sub(k));
                    let f = self.alternate(&parts)?;
                    values.push(f);
                }
                Task::Star => {
                    let f = pop(&mut values);
                    let f = match f {
                        Some(f) => self.star(f)?,
                        None => self.empty()?,
                    };
                    values.push(f);
                }
                Task::Plus => {
                    let f = match pop(&mut values) {
                        Some(f) => self.plus(f)?,
                        None => self.empty()?,
                    };
                    values.push(f);
                }
                Task::Quest => {
                    let f = match pop(&mut values) {
                        Some(f) => self.quest(f)?,
                        None => self.empty()?,
                    };
                    values.push(f);
                }
                Task::Repeat { min, max, count } => {
                    let parts = values.split_off(values.len().saturating_sub(count));
                    let f = self.repeat(&parts, min, max)?;
                    values.push(f);
                }
            }
        }
        match values.pop() {
            Some(f) => Ok(f),
            None => self.empty(),
        }
    }

    fn chain(&mut self, parts: &[Frag]) -> Result<Frag, BuildError> {
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return self.empty();
        };
        for w in parts.windows(2) {
            self.b.patch(w[0].end, w[1].start)?;
        }
        Ok(Frag {
            start: first.start,
            end: last.end,
        })
    }

    fn alternate(&mut self, parts: &[Frag]) -> Result<Frag, BuildError> {
        match parts {
            [] => self.fail(),
            [one] => Ok(*one),
            _ => {
                let end = self.b.add_empty()?;
                for f in parts {
                    self.b.patch(f.end, end)?;
                }
                let start = self.b.add_union(parts.iter().map(|f| f.start).collect())?;
                Ok(Frag { start, end })
            }
        }
    }

    fn star(&mut self, f: Frag) -> Result<Frag, BuildError> {
        let end = self.b.add_empty()?;
        let u = self.b.add_union(vec![f.start, end])?;
        self.b.patch(f.end, u)?;
        Ok(Frag { start: u, end })
    }

    fn plus(&mut self, f: Frag) -> Result<Frag, BuildError> {
        let end = self.b.add_empty()?;
        let u = self.b.add_union(vec![f.start, end])?;
        self.b.patch(f.end, u)?;
        Ok(Frag {
            start: f.start,
            end,
        })
    }

    fn quest(&mut self, f: Frag) -> Result<Frag, BuildError> {
        let end = self.b.add_empty()?;
        let u = self.b.add_union(vec![f.start, end])?;
        self.b.patch(f.end, end)?;
        Ok(Frag { start: u, end })
    }

    /// `x{min,max}` from compiled copies of `x` (`max == -1`: no upper bound).
    fn repeat(&mut self, parts: &[Frag], min: i32, max: i32) -> Result<Frag, BuildError> {
        let min = min.max(0) as usize;
        if max < 0 {
            let Some((&last, required)) = parts.split_last() else {
                return self.empty();
            };
            if min == 0 {
                return self.star(last);
            }
            // x{n,} = x^(n-1) x+
            let plus = self.plus(last)?;
            let mut all = required.to_vec();
            all.push(plus);
            return self.chain(&all);
        }
        let min = min.min(parts.len());
        let (required, optional) = parts.split_at(min);
        if optional.is_empty() {
            return self.chain(required);
        }
        // x{2,5} = xx(x(x(x)?)?)?: each optional copy may be skipped, and skipping one skips
        // the rest.
        let end = self.b.add_empty()?;
        let head = match required.first() {
            Some(_) => Some(self.chain(required)?),
            None => None,
        };
        let mut start = None;
        let mut prev_end = head.map(|h| h.end);
        for f in optional {
            let u = self.b.add_union(vec![f.start, end])?;
            match prev_end {
                Some(p) => self.b.patch(p, u)?,
                None => start = Some(u),
            }
            prev_end = Some(f.end);
        }
        if let Some(p) = prev_end {
            self.b.patch(p, end)?;
        }
        let start = match (head, start) {
            (Some(h), _) => h.start,
            (None, Some(s)) => s,
            (None, None) => end,
        };
        Ok(Frag { start, end })
    }

    fn literal(&mut self, runes: &[i32], fold: bool) -> Result<Frag, BuildError> {
        let mut parts = Vec::with_capacity(runes.len());
        for &r in runes {
            if fold && class::simple_fold(r) != r {
                let mut orbit = vec![r];
                let mut f = class::simple_fold(r);
                while f != r && orbit.len() < 16 {
                    orbit.push(f);
                    f = class::simple_fold(f);
                }
                let mut ranges: Vec<i32> = orbit.iter().flat_map(|&c| [c, c]).collect();
                class::clean_class(&mut ranges);
                parts.push(self.class(&ranges)?);
                continue;
            }
            match u32::try_from(r).ok().and_then(char::from_u32) {
                Some(c) => {
                    let mut buf = [0u8; 4];
                    let bytes = c.encode_utf8(&mut buf).as_bytes();
                    let mut first: Option<StateID> = None;
                    let mut prev: Option<StateID> = None;
                    for &byte in bytes {
                        let s = self.b.add_range(Transition {
                            start: byte,
                            end: byte,
                            next: StateID::ZERO,
                        })?;
                        if let Some(p) = prev {
                            self.b.patch(p, s)?;
                        }
                        first.get_or_insert(s);
                        prev = Some(s);
                    }
                    match (first, prev) {
                        (Some(start), Some(end)) => parts.push(Frag { start, end }),
                        _ => parts.push(self.empty()?),
                    }
                }
                // A surrogate (Go accepts `\x{D800}`) never occurs in UTF-8 text.
                None => parts.push(self.fail()?),
            }
        }
        self.chain(&parts)
    }

    /// A rune class as UTF-8 byte sequences: a trie built from sorted sequences with shared
    /// suffixes (Daciuk et al.'s incremental construction of a minimal acyclic automaton).
    fn class(&mut self, runes: &[i32]) -> Result<Frag, BuildError> {
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
            return self.fail();
        }
        let end = self.b.add_empty()?;
        if scalar.iter().all(|&(_, hi)| hi < 0x80) {
            let trans = scalar
                .iter()
                .map(|&(lo, hi)| Transition {
                    start: lo as u8,
                    end: hi as u8,
                    next: end,
                })
                .collect();
            let start = self.b.add_sparse(trans)?;
            return Ok(Frag { start, end });
        }
        let mut trie = Utf8Trie {
            target: end,
            stack: vec![TrieNode::default()],
            cache: HashMap::default(),
        };
        for (lo, hi) in scalar {
            let (Some(lo), Some(hi)) = (char::from_u32(lo), char::from_u32(hi)) else {
                continue;
            };
            for seq in Utf8Sequences::new(lo, hi) {
                let seq: Vec<(u8, u8)> = seq.as_slice().iter().map(|r| (r.start, r.end)).collect();
                trie.add(&mut self.b, &seq)?;
            }
        }
        let start = trie.finish(&mut self.b)?;
        Ok(Frag { start, end })
    }
}

fn pop(values: &mut Vec<Frag>) -> Option<Frag> {
    values.pop()
}

#[derive(Default)]
struct TrieNode {
    trans: Vec<Transition>,
    /// The newest edge, whose target is still being built.
    last: Option<(u8, u8)>,
}

type TransKey = Vec<(u8, u8, u32)>;

struct Utf8Trie {
    target: StateID,
    /// The path of the most recently added sequence, root first.
    stack: Vec<TrieNode>,
    /// Frozen states by their transitions: equal suffixes are shared.
    cache: HashMap<TransKey, StateID, BuildHasherDefault<FxHasher>>,
}

impl Utf8Trie {
    fn add(&mut self, b: &mut Builder, seq: &[(u8, u8)]) -> Result<(), BuildError> {
        let prefix = seq
            .iter()
            .zip(&self.stack)
            .take_while(|(r, n)| n.last == Some(**r))
            .count();
        if prefix >= seq.len() {
            return Ok(());
        }
        self.freeze_from(b, prefix)?;
        if let Some(top) = self.stack.last_mut() {
            top.last = Some(seq[prefix]);
        }
        for &r in &seq[prefix + 1..] {
            self.stack.push(TrieNode {
                trans: Vec::new(),
                last: Some(r),
            });
        }
        Ok(())
    }

    /// Freezes every node deeper than `from` and closes `from`'s pending edge.
    fn freeze_from(&mut self, b: &mut Builder, from: usize) -> Result<(), BuildError> {
        let mut next = self.target;
        while self.stack.len() > from + 1 {
            let Some(mut node) = self.stack.pop() else {
                break;
            };
            if let Some((start, end)) = node.last.take() {
                node.trans.push(Transition { start, end, next });
            }
            next = self.freeze(b, node.trans)?;
        }
        if let Some(top) = self.stack.last_mut() {
            if let Some((start, end)) = top.last.take() {
                top.trans.push(Transition { start, end, next });
            }
        }
        Ok(())
    }

    fn freeze(&mut self, b: &mut Builder, trans: Vec<Transition>) -> Result<StateID, BuildError> {
        let key: TransKey = trans
            .iter()
            .map(|t| (t.start, t.end, t.next.as_u32()))
            .collect();
        if let Some(&id) = self.cache.get(&key) {
            return Ok(id);
        }
        let id = b.add_sparse(trans)?;
        self.cache.insert(key, id);
        Ok(id)
    }

    fn finish(mut self, b: &mut Builder) -> Result<StateID, BuildError> {
        self.freeze_from(b, 0)?;
        let root = self.stack.pop().unwrap_or_default();
        self.freeze(b, root.trans)
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
