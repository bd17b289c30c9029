//! A rune-level program and its matcher, Go's own shape: one instruction per class, literal
//! rune, `.` or assertion, however large the class.
//!
//! The byte-level NFA (`compile.rs`) spells every class out as a UTF-8 automaton: `\pL` is ~300
//! states, so `\pL{1000}` (which Go accepts) would be ~300 000 states, tens of MB and ~65 ms to
//! build in a guest. Here `\pL{1000}` is 1000 instructions sharing one range list. Patterns whose
//! byte-level NFA exceeds its budget are compiled here instead; the matcher is a Thompson
//! simulation over characters (`is_match` only, so no thread priorities), which costs at most
//! (characters + 1) × instructions steps and two sets of instructions' size in memory.
//!
//! Built back to front without recursion, like `compile.rs`.

use std::sync::Arc;

use crate::class;
use crate::parse::{FOLD_CASE, NodeId, Op, Tree};

/// The program would exceed its instruction budget.
#[derive(Debug)]
pub(crate) struct TooBig;

type Pc = u32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Assert {
    BeginLine,
    EndLine,
    BeginText,
    EndText,
    WordBoundary,
    NoWordBoundary,
}

enum Inst {
    Match,
    Fail,
    /// One character.
    Char(char, Pc),
    /// A class: index into `Program::classes` (sorted, non-overlapping inclusive ranges).
    Class(u32, Pc),
    /// `.` (`nl`: also `\n`).
    Any {
        nl: bool,
        next: Pc,
    },
    /// Empty-width assertion.
    Assert(Assert, Pc),
    /// Any of these (alternation, loops, optional parts).
    Split(Vec<Pc>),
}

/// A compiled rune-level program.
pub(crate) struct Program {
    insts: Vec<Inst>,
    classes: Vec<Arc<[(u32, u32)]>>,
    start: Pc,
    anchored: bool,
}

/// The matcher's scratch space: two sparse sets and a stack, sized to the program.
pub(crate) struct Cache {
    cur: SparseSet,
    next: SparseSet,
    stack: Vec<Pc>,
    /// Per class, whether the current character is in it (0 = not looked up yet, 1 = no,
    /// 2 = yes): the threads of `\pL{1000}` all test one class, so each position looks up
    /// each class once.
    hits: Vec<u8>,
}

struct SparseSet {
    dense: Vec<Pc>,
    sparse: Vec<u32>,
}

impl SparseSet {
    fn new(n: usize) -> SparseSet {
        SparseSet {
            dense: Vec::with_capacity(n),
            sparse: vec![0; n],
        }
    }

    /// Inserts `pc`; false if it was there already.
    fn insert(&mut self, pc: Pc) -> bool {
        let Some(&i) = self.sparse.get(pc as usize) else {
            return false;
        };
        if self.dense.get(i as usize) == Some(&pc) {
            return false;
        }
        self.sparse[pc as usize] = self.dense.len() as u32;
        self.dense.push(pc);
        true
    }
}

#[derive(Clone, Copy)]
enum Task {
    Visit(NodeId, Pc),
    ConcatStep(NodeId, usize),
    AlternateDone(usize),
    LoopDone {
        u: Pc,
        next: Pc,
        plus: bool,
    },
    QuestDone {
        next: Pc,
    },
    RepeatStep {
        sub: NodeId,
        next: Pc,
        opt: usize,
        req: usize,
    },
}

struct Compiler<'t> {
    tree: &'t Tree,
    insts: Vec<Inst>,
    classes: Vec<Arc<[(u32, u32)]>>,
    /// Class node → its index in `classes`, so repeats share one range list.
    class_of: Vec<(NodeId, u32)>,
    limit: usize,
}

/// Compiles `tree` into at most `limit` instructions.
pub(crate) fn compile(tree: &Tree, limit: usize, anchored: bool) -> Result<Program, TooBig> {
    let mut c = Compiler {
        tree,
        insts: Vec::new(),
        classes: Vec::new(),
        class_of: Vec::new(),
        limit,
    };
    let matched = c.push(Inst::Match)?;
    let start = c.node(tree.root, matched)?;
    Ok(Program {
        insts: c.insts,
        classes: c.classes,
        start,
        anchored,
    })
}

impl Compiler<'_> {
    fn push(&mut self, inst: Inst) -> Result<Pc, TooBig> {
        if self.insts.len() >= self.limit {
            return Err(TooBig);
        }
        self.insts.push(inst);
        Ok((self.insts.len() - 1) as Pc)
    }

    fn class_index(&mut self, id: NodeId, runes: &[i32]) -> u32 {
        if let Some(&(_, i)) = self.class_of.iter().find(|(n, _)| *n == id) {
            return i;
        }
        let i = self.add_class(runes);
        self.class_of.push((id, i));
        i
    }

    fn add_class(&mut self, runes: &[i32]) -> u32 {
        let mut r = runes.to_vec();
        class::clean_class(&mut r);
        let ranges: Vec<(u32, u32)> = r
            .chunks_exact(2)
            .filter(|p| p[0] <= p[1] && p[1] >= 0)
            .map(|p| (p[0].max(0) as u32, p[1] as u32))
            .collect();
        // Equal classes written several times (`\pL\pL\pL…`) share one list.
        if let Some(i) = self.classes.iter().position(|c| **c == *ranges) {
            return i as u32;
        }
        self.classes.push(ranges.into());
        (self.classes.len() - 1) as u32
    }

    fn literal(&mut self, runes: &[i32], fold: bool, next: Pc) -> Result<Pc, TooBig> {
        let mut cur = next;
        for &r in runes.iter().rev() {
            if fold && class::simple_fold(r) != r {
                let mut ranges = vec![r, r];
                let mut f = class::simple_fold(r);
                while f != r && ranges.len() < 32 {
                    ranges.extend([f, f]);
                    f = class::simple_fold(f);
                }
                let i = self.add_class(&ranges);
                cur = self.push(Inst::Class(i, cur))?;
                continue;
            }
            cur = match u32::try_from(r).ok().and_then(char::from_u32) {
                Some(ch) => self.push(Inst::Char(ch, cur))?,
                // A surrogate never occurs in UTF-8 text.
                None => self.push(Inst::Fail)?,
            };
        }
        Ok(cur)
    }

    fn node(&mut self, root: NodeId, next: Pc) -> Result<Pc, TooBig> {
        let tree = self.tree;
        let mut tasks = vec![Task::Visit(root, next)];
        let mut values: Vec<Pc> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(id, next) => {
                    let n = &tree.nodes[id];
                    let assert = |a| Inst::Assert(a, next);
                    let start = match n.op {
                        Op::NoMatch => self.push(Inst::Fail)?,
                        Op::EmptyMatch | Op::LeftParen | Op::VerticalBar => next,
                        Op::Literal => self.literal(&n.runes, n.flags & FOLD_CASE != 0, next)?,
                        Op::CharClass => {
                            let i = self.class_index(id, &n.runes);
                            self.push(Inst::Class(i, next))?
                        }
                        Op::AnyCharNotNL => self.push(Inst::Any { nl: false, next })?,
                        Op::AnyChar => self.push(Inst::Any { nl: true, next })?,
                        Op::BeginLine => self.push(assert(Assert::BeginLine))?,
                        Op::EndLine => self.push(assert(Assert::EndLine))?,
                        Op::BeginText => self.push(assert(Assert::BeginText))?,
                        Op::EndText => self.push(assert(Assert::EndText))?,
                        Op::WordBoundary => self.push(assert(Assert::WordBoundary))?,
                        Op::NoWordBoundary => self.push(assert(Assert::NoWordBoundary))?,
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
                            let min = min.max(0) as usize;
                            if max < 0 {
                                let u = self.push(Inst::Split(Vec::new()))?;
                                tasks.push(Task::RepeatStep {
                                    sub,
                                    next,
                                    opt: 0,
                                    req: min.saturating_sub(1),
                                });
                                tasks.push(Task::LoopDone {
                                    u,
                                    next,
                                    plus: min > 0,
                                });
                                tasks.push(Task::Visit(sub, u));
                            } else {
                                let max = max as usize;
                                values.push(next);
                                tasks.push(Task::RepeatStep {
                                    sub,
                                    next,
                                    opt: max.saturating_sub(min),
                                    req: min.min(max),
                                });
                            }
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
                            [] => self.push(Inst::Fail)?,
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
                    let after = values.pop().unwrap_or(next);
                    let sub = tree.nodes[id].subs[i];
                    if i > 0 {
                        tasks.push(Task::ConcatStep(id, i - 1));
                    }
                    tasks.push(Task::Visit(sub, after));
                }
                Task::AlternateDone(k) => {
                    let starts = values.split_off(values.len().saturating_sub(k));
                    let u = self.push(Inst::Split(starts))?;
                    values.push(u);
                }
                Task::LoopDone { u, next, plus } => {
                    let body = values.pop().unwrap_or(next);
                    if let Some(Inst::Split(alts)) = self.insts.get_mut(u as usize) {
                        alts.extend([body, next]);
                    }
                    values.push(if plus { body } else { u });
                }
                Task::QuestDone { next } => {
                    let body = values.pop().unwrap_or(next);
                    let u = self.push(Inst::Split(vec![body, next]))?;
                    values.push(u);
                }
                Task::RepeatStep {
                    sub,
                    next,
                    opt,
                    req,
                } => {
                    let cur = values.pop().unwrap_or(next);
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
        Ok(values.pop().unwrap_or(next))
    }
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Program {
    /// Scratch space for [`Program::is_match`].
    pub(crate) fn create_cache(&self) -> Cache {
        Cache {
            cur: SparseSet::new(self.insts.len()),
            next: SparseSet::new(self.insts.len()),
            stack: Vec::new(),
            hits: vec![0; self.classes.len()],
        }
    }

    /// Whether the program matches anywhere in `haystack` (Go's `MatchString`).
    pub(crate) fn is_match(&self, cache: &mut Cache, haystack: &str) -> bool {
        if cache.cur.sparse.len() != self.insts.len() || cache.hits.len() != self.classes.len() {
            *cache = self.create_cache();
        }
        let Cache {
            cur,
            next,
            stack,
            hits,
        } = cache;
        cur.dense.clear();
        let mut prev: Option<char> = None;
        let mut chars = haystack.chars();
        let mut at = chars.next();
        let mut first = true;
        loop {
            // Threads starting here (every position: the search is unanchored).
            if (first || !self.anchored) && self.add(cur, stack, self.start, prev, at) {
                return true;
            }
            first = false;
            let Some(c) = at else {
                return false;
            };
            if cur.dense.is_empty() && self.anchored {
                return false;
            }
            let after = chars.next();
            next.dense.clear();
            hits.fill(0);
            for i in 0..cur.dense.len() {
                let pc = cur.dense[i];
                let to = match self.insts.get(pc as usize) {
                    Some(Inst::Char(want, to)) if *want == c => *to,
                    Some(Inst::Class(k, to)) if self.in_class(hits, *k, c) => *to,
                    Some(Inst::Any { nl, next }) if *nl || c != '\n' => *next,
                    _ => continue,
                };
                if self.add(next, stack, to, Some(c), after) {
                    return true;
                }
            }
            std::mem::swap(cur, next);
            prev = Some(c);
            at = after;
        }
    }

    fn in_class(&self, hits: &mut [u8], k: u32, c: char) -> bool {
        match hits.get(k as usize) {
            Some(1) => return false,
            Some(2) => return true,
            _ => {}
        }
        let c = c as u32;
        let hit = self.classes.get(k as usize).is_some_and(|ranges| {
            ranges
                .binary_search_by(|&(lo, hi)| {
                    if hi < c {
                        std::cmp::Ordering::Less
                    } else if lo > c {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .is_ok()
        });
        if let Some(h) = hits.get_mut(k as usize) {
            *h = if hit { 2 } else { 1 };
        }
        hit
    }

    /// Adds `pc` and its empty-width closure at a position between `prev` and `at`; true if
    /// the closure reaches `Match`.
    fn add(
        &self,
        set: &mut SparseSet,
        stack: &mut Vec<Pc>,
        pc: Pc,
        prev: Option<char>,
        at: Option<char>,
    ) -> bool {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if !set.insert(pc) {
                continue;
            }
            match self.insts.get(pc as usize) {
                Some(Inst::Match) => return true,
                Some(Inst::Split(alts)) => stack.extend(alts.iter().rev()),
                Some(Inst::Assert(a, next)) => {
                    let holds = match a {
                        Assert::BeginLine => prev.is_none_or(|p| p == '\n'),
                        Assert::EndLine => at.is_none_or(|c| c == '\n'),
                        Assert::BeginText => prev.is_none(),
                        Assert::EndText => at.is_none(),
                        Assert::WordBoundary => is_word(prev) != is_word(at),
                        Assert::NoWordBoundary => is_word(prev) == is_word(at),
                    };
                    if holds {
                        stack.push(*next);
                    }
                }
                _ => {}
            }
        }
        false
    }
}
