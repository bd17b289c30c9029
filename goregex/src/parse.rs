//! A parser for Go's regexp syntax that reproduces Go's `regexp/syntax.Parse(expr, syntax.Perl)`:
//! the same grammar, the same parse tree (literal merging, alternation factoring, class
//! merging), the same limits (computed on that tree, as Go computes them) and the same errors.
//!
//! The structure follows Go's parser (a stack of partial results, no recursion over the input)
//! so that every decision that shapes the tree — and therefore the nesting-depth and size
//! limits — is taken at the same point as in Go. Go's recursive helpers (tree height and size,
//! repeat validation) are explicit-stack loops here: the parser must not recurse deeply on a
//! 64 KiB stack.
//!
//! Nodes live in an arena (`Tree::nodes`) and are recycled through a free list in the same
//! order as Go recycles them, because Go's size/height caches and its node counter (which
//! decides when those checks start) depend on that.

use crate::class::{self, Group, MAX_RUNE};

/// Node index in the arena.
pub(crate) type NodeId = usize;

/// Go's `syntax.Op`, in Go's order (the parser compares ops).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Op {
    NoMatch,
    EmptyMatch,
    Literal,
    CharClass,
    AnyCharNotNL,
    AnyChar,
    BeginLine,
    EndLine,
    BeginText,
    EndText,
    WordBoundary,
    NoWordBoundary,
    Capture,
    Star,
    Plus,
    Quest,
    Repeat,
    Concat,
    Alternate,
    // Pseudo-ops used only on the parse stack.
    LeftParen,
    VerticalBar,
}

impl Op {
    fn is_pseudo(self) -> bool {
        self >= Op::LeftParen
    }
}

/// Parse flags (Go's `syntax.Flags` bits).
pub(crate) const FOLD_CASE: u16 = 1;
const CLASS_NL: u16 = 1 << 2;
const DOT_NL: u16 = 1 << 3;
const ONE_LINE: u16 = 1 << 4;
pub(crate) const NON_GREEDY: u16 = 1 << 5;
const PERL_X: u16 = 1 << 6;
const UNICODE_GROUPS: u16 = 1 << 7;
const WAS_DOLLAR: u16 = 1 << 8;
/// `syntax.Perl`, the flags `regexp.Compile` parses with.
const PERL: u16 = CLASS_NL | ONE_LINE | PERL_X | UNICODE_GROUPS;

/// Go's limits (regexp/syntax/parse.go).
const MAX_HEIGHT: i64 = 1000;
const MAX_SIZE: i64 = (128 << 20) / (5 * 8);
const MAX_RUNES: usize = (128 << 20) / 4;

/// A node of Go's parse tree.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) flags: u16,
    pub(crate) runes: Vec<i32>,
    pub(crate) subs: Vec<NodeId>,
    pub(crate) min: i32,
    pub(crate) max: i32,
    pub(crate) cap: i32,
}

impl Node {
    fn new(op: Op) -> Node {
        Node {
            op,
            flags: 0,
            runes: Vec::new(),
            subs: Vec::new(),
            min: 0,
            max: 0,
            cap: 0,
        }
    }
}

/// Go's error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    InvalidCharRange,
    InvalidEscape,
    InvalidNamedCapture,
    InvalidPerlOp,
    InvalidRepeatOp,
    InvalidRepeatSize,
    MissingBracket,
    MissingParen,
    MissingRepeatArgument,
    TrailingBackslash,
    UnexpectedParen,
    NestingDepth,
    Large,
}

impl Code {
    /// Go's `ErrorCode` text.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Code::InvalidCharRange => "invalid character class range",
            Code::InvalidEscape => "invalid escape sequence",
            Code::InvalidNamedCapture => "invalid named capture",
            Code::InvalidPerlOp => "invalid or unsupported Perl syntax",
            Code::InvalidRepeatOp => "invalid nested repetition operator",
            Code::InvalidRepeatSize => "invalid repeat count",
            Code::MissingBracket => "missing closing ]",
            Code::MissingParen => "missing closing )",
            Code::MissingRepeatArgument => "missing argument to repetition operator",
            Code::TrailingBackslash => "trailing backslash at end of expression",
            Code::UnexpectedParen => "unexpected )",
            Code::NestingDepth => "expression nests too deeply",
            Code::Large => "expression too large",
        }
    }
}

/// A parse error: Go's code and the offending part of the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) code: Code,
    pub(crate) expr: String,
}

/// An internal result: a limit check fails with a bare code, reported on the whole pattern.
type Limit<T> = Result<T, Code>;

/// The parse tree: arena and root.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
}

struct Parser<'a> {
    flags: u16,
    stack: Vec<NodeId>,
    nodes: Vec<Node>,
    free: Vec<NodeId>,
    num_cap: i32,
    whole: &'a str,
    num_regexp: usize,
    num_runes: usize,
    repeats: i64,
    /// Go's `height` map: `None` until height tracking starts; then a per-node cache.
    height: Option<Vec<Option<i64>>>,
    /// Go's `size` map, likewise.
    size: Option<Vec<Option<i64>>>,
    /// Recursion depth of `collapse`/`factor` (bounded by the pattern length; guarded anyway).
    factor_depth: usize,
}

/// Parses `s` as `regexp.Compile` does.
pub(crate) fn parse(s: &str) -> Result<Tree, ParseError> {
    let mut p = Parser {
        flags: PERL,
        stack: Vec::new(),
        nodes: Vec::new(),
        free: Vec::new(),
        num_cap: 0,
        whole: s,
        num_regexp: 0,
        num_runes: 0,
        repeats: 0,
        height: None,
        size: None,
        factor_depth: 0,
    };
    match p.run() {
        Ok(root) => Ok(Tree {
            nodes: p.nodes,
            root,
        }),
        Err(Fail::Parse(e)) => Err(e),
        Err(Fail::Limit(code)) => Err(ParseError {
            code,
            expr: s.to_string(),
        }),
    }
}

enum Fail {
    Parse(ParseError),
    Limit(Code),
}

impl From<Code> for Fail {
    fn from(code: Code) -> Fail {
        Fail::Limit(code)
    }
}

/// Decodes the rune at byte `i` of `s` as Go's `nextRune` does: at the end of the string it
/// yields U+FFFD and consumes nothing.
fn next_rune(s: &str, i: usize) -> (i32, usize) {
    match s.get(i..).and_then(|t| t.chars().next()) {
        Some(c) => (c as i32, i + c.len_utf8()),
        None => (0xFFFD, i),
    }
}

fn is_alnum(c: i32) -> bool {
    (0x30..=0x39).contains(&c) || (0x41..=0x5a).contains(&c) || (0x61..=0x7a).contains(&c)
}

fn unhex(c: i32) -> i32 {
    match c {
        0x30..=0x39 => c - 0x30,
        0x61..=0x66 => c - 0x61 + 10,
        0x41..=0x46 => c - 0x41 + 10,
        _ => -1,
    }
}

/// The length and first runes of a class, for `push`'s single-rune checks.
struct RuneHead {
    len: usize,
    head: [i32; 4],
}

impl RuneHead {
    fn len(&self) -> usize {
        self.len
    }
}

impl std::ops::Index<usize> for RuneHead {
    type Output = i32;
    fn index(&self, i: usize) -> &i32 {
        &self.head[i & 3]
    }
}

fn is_char_class_node(n: &Node) -> bool {
    (n.op == Op::Literal && n.runes.len() == 1)
        || matches!(n.op, Op::CharClass | Op::AnyCharNotNL | Op::AnyChar)
}

impl<'a> Parser<'a> {
    fn err(&self, code: Code, from: usize, to: usize) -> Fail {
        Fail::Parse(ParseError {
            code,
            expr: slice(self.whole, from, to),
        })
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.whole.as_bytes().get(i).copied()
    }

    // ---- node allocation ----

    fn new_node(&mut self, op: Op) -> NodeId {
        if let Some(id) = self.free.pop() {
            // Reset in place, keeping the lists' capacity.
            let n = &mut self.nodes[id];
            n.op = op;
            n.flags = 0;
            n.runes.clear();
            n.subs.clear();
            n.min = 0;
            n.max = 0;
            n.cap = 0;
            id
        } else {
            self.nodes.push(Node::new(op));
            self.num_regexp += 1;
            self.nodes.len() - 1
        }
    }

    fn reuse(&mut self, id: NodeId) {
        if let Some(h) = self.height.as_mut()
            && let Some(slot) = h.get_mut(id)
        {
            *slot = None;
        }
        self.free.push(id);
    }

    // ---- limits ----

    fn check_limits(&mut self, id: NodeId) -> Limit<()> {
        if self.num_runes > MAX_RUNES {
            return Err(Code::Large);
        }
        self.check_size(id)?;
        self.check_height(id)
    }

    fn check_size(&mut self, id: NodeId) -> Limit<()> {
        if self.size.is_none() {
            if self.repeats == 0 {
                self.repeats = 1;
            }
            let node = &self.nodes[id];
            if node.op == Op::Repeat {
                let mut n = node.max;
                if n == -1 {
                    n = node.min;
                }
                if n <= 0 {
                    n = 1;
                }
                if i64::from(n) > MAX_SIZE / self.repeats {
                    self.repeats = MAX_SIZE;
                } else {
                    self.repeats *= i64::from(n);
                }
            }
            if (self.num_regexp as i64) < MAX_SIZE / self.repeats {
                return Ok(());
            }
            self.size = Some(Vec::new());
            let stack = self.stack.clone();
            for re in stack {
                self.check_size(re)?;
            }
        }
        if self.calc_size(id, true) > MAX_SIZE {
            return Err(Code::Large);
        }
        Ok(())
    }

    fn size_cached(&self, id: NodeId) -> Option<i64> {
        self.size
            .as_ref()
            .and_then(|s| s.get(id).copied().flatten())
    }

    fn set_size(&mut self, id: NodeId, v: i64) {
        if let Some(s) = self.size.as_mut() {
            if s.len() <= id {
                s.resize(id + 1, None);
            }
            s[id] = Some(v);
        }
    }

    /// Go's `calcSize`, with an explicit stack. Children use cached sizes when present.
    fn calc_size(&mut self, root: NodeId, force: bool) -> i64 {
        if !force && let Some(v) = self.size_cached(root) {
            return v;
        }
        let mut work: Vec<(NodeId, bool)> = vec![(root, false)];
        while let Some((id, ready)) = work.pop() {
            if !ready {
                work.push((id, true));
                let node = &self.nodes[id];
                let children: &[NodeId] = match node.op {
                    Op::Capture | Op::Star | Op::Plus | Op::Quest | Op::Repeat => {
                        node.subs.get(..1).unwrap_or(&[])
                    }
                    Op::Concat | Op::Alternate => &node.subs,
                    _ => &[],
                };
                let pending: Vec<NodeId> = children
                    .iter()
                    .copied()
                    .filter(|&c| self.size_cached(c).is_none())
                    .collect();
                work.extend(pending.into_iter().map(|c| (c, false)));
                continue;
            }
            let node = &self.nodes[id];
            let sub = |p: &Parser<'_>, i: usize| -> i64 {
                node.subs
                    .get(i)
                    .and_then(|&c| p.size_cached(c))
                    .unwrap_or(1)
            };
            let size: i64 = match node.op {
                Op::Literal => node.runes.len() as i64,
                Op::Capture | Op::Star => sub(self, 0).saturating_add(2),
                Op::Plus | Op::Quest => sub(self, 0).saturating_add(1),
                Op::Concat => {
                    (0..node.subs.len()).fold(0i64, |a, i| a.saturating_add(sub(self, i)))
                }
                Op::Alternate => {
                    let s = (0..node.subs.len()).fold(0i64, |a, i| a.saturating_add(sub(self, i)));
                    if node.subs.len() > 1 {
                        s.saturating_add(node.subs.len() as i64 - 1)
                    } else {
                        s
                    }
                }
                Op::Repeat => {
                    let s = sub(self, 0);
                    if node.max == -1 {
                        if node.min == 0 {
                            s.saturating_add(2)
                        } else {
                            i64::from(node.min).saturating_mul(s).saturating_add(1)
                        }
                    } else {
                        i64::from(node.max)
                            .saturating_mul(s)
                            .saturating_add(i64::from(node.max) - i64::from(node.min))
                    }
                }
                _ => 0,
            };
            let size = size.max(1);
            self.set_size(id, size);
        }
        self.size_cached(root).unwrap_or(1)
    }

    fn check_height(&mut self, id: NodeId) -> Limit<()> {
        if (self.num_regexp as i64) < MAX_HEIGHT {
            return Ok(());
        }
        if self.height.is_none() {
            self.height = Some(Vec::new());
            let stack = self.stack.clone();
            for re in stack {
                self.check_height(re)?;
            }
        }
        if self.calc_height(id, true) > MAX_HEIGHT {
            return Err(Code::NestingDepth);
        }
        Ok(())
    }

    fn height_cached(&self, id: NodeId) -> Option<i64> {
        self.height
            .as_ref()
            .and_then(|s| s.get(id).copied().flatten())
    }

    fn set_height(&mut self, id: NodeId, v: i64) {
        if let Some(s) = self.height.as_mut() {
            if s.len() <= id {
                s.resize(id + 1, None);
            }
            s[id] = Some(v);
        }
    }

    /// Go's `calcHeight`, with an explicit stack.
    fn calc_height(&mut self, root: NodeId, force: bool) -> i64 {
        if !force && let Some(v) = self.height_cached(root) {
            return v;
        }
        let mut work: Vec<(NodeId, bool)> = vec![(root, false)];
        while let Some((id, ready)) = work.pop() {
            if !ready {
                work.push((id, true));
                let pending: Vec<NodeId> = self.nodes[id]
                    .subs
                    .iter()
                    .copied()
                    .filter(|&c| self.height_cached(c).is_none())
                    .collect();
                work.extend(pending.into_iter().map(|c| (c, false)));
                continue;
            }
            let h = self.nodes[id]
                .subs
                .iter()
                .map(|&c| 1 + self.height_cached(c).unwrap_or(1))
                .fold(1, i64::max);
            self.set_height(id, h);
        }
        self.height_cached(root).unwrap_or(1)
    }

    // ---- stack ----

    /// Go's `push`. Returns `None` when the node was folded into the literal below it.
    fn push(&mut self, id: NodeId) -> Limit<Option<NodeId>> {
        self.num_runes += self.nodes[id].runes.len();
        let (op, r) = {
            let n = &self.nodes[id];
            // Only the length and the first four runes matter below.
            let mut head = [0i32; 4];
            for (h, &v) in head.iter_mut().zip(&n.runes) {
                *h = v;
            }
            (
                n.op,
                RuneHead {
                    len: n.runes.len(),
                    head,
                },
            )
        };
        if op == Op::CharClass && r.len() == 2 && r[0] == r[1] {
            if self.maybe_concat(r[0], self.flags & !FOLD_CASE) {
                return Ok(None);
            }
            let f = self.flags & !FOLD_CASE;
            let n = &mut self.nodes[id];
            n.op = Op::Literal;
            n.runes.truncate(1);
            n.flags = f;
        } else if (op == Op::CharClass
            && r.len() == 4
            && r[0] == r[1]
            && r[2] == r[3]
            && class::simple_fold(r[0]) == r[2]
            && class::simple_fold(r[2]) == r[0])
            || (op == Op::CharClass
                && r.len() == 2
                && r[0] + 1 == r[1]
                && class::simple_fold(r[0]) == r[1]
                && class::simple_fold(r[1]) == r[0])
        {
            if self.maybe_concat(r[0], self.flags | FOLD_CASE) {
                return Ok(None);
            }
            let f = self.flags | FOLD_CASE;
            let n = &mut self.nodes[id];
            n.op = Op::Literal;
            n.runes.truncate(1);
            n.flags = f;
        } else {
            self.maybe_concat(-1, 0);
        }
        self.stack.push(id);
        self.check_limits(id)?;
        Ok(Some(id))
    }

    /// Go's `maybeConcat`.
    fn maybe_concat(&mut self, r: i32, flags: u16) -> bool {
        let n = self.stack.len();
        if n < 2 {
            return false;
        }
        let (re1, re2) = (self.stack[n - 1], self.stack[n - 2]);
        {
            let (a, b) = (&self.nodes[re1], &self.nodes[re2]);
            if a.op != Op::Literal
                || b.op != Op::Literal
                || a.flags & FOLD_CASE != b.flags & FOLD_CASE
            {
                return false;
            }
        }
        let moved = std::mem::take(&mut self.nodes[re1].runes);
        self.nodes[re2].runes.extend_from_slice(&moved);
        self.nodes[re1].runes = moved;
        if r >= 0 {
            let a = &mut self.nodes[re1];
            a.runes.clear();
            a.runes.push(r);
            a.flags = flags;
            return true;
        }
        self.stack.pop();
        self.reuse(re1);
        false
    }

    fn literal(&mut self, mut r: i32) -> Limit<()> {
        let id = self.new_node(Op::Literal);
        self.nodes[id].flags = self.flags;
        if self.flags & FOLD_CASE != 0 {
            r = class::min_fold_rune(r);
        }
        self.nodes[id].runes.push(r);
        self.push(id)?;
        Ok(())
    }

    fn op(&mut self, op: Op) -> Limit<Option<NodeId>> {
        let id = self.new_node(op);
        self.nodes[id].flags = self.flags;
        self.push(id)
    }

    /// Go's `repeat`. `before` and `after` are byte offsets of the operator and of what follows
    /// it; `last_repeat` is the offset of the previous operator if it came right before.
    fn repeat(
        &mut self,
        op: Op,
        min: i32,
        max: i32,
        before: usize,
        mut after: usize,
        last_repeat: Option<usize>,
    ) -> Result<usize, Fail> {
        let mut flags = self.flags;
        if self.flags & PERL_X != 0 {
            if self.byte(after) == Some(b'?') {
                after += 1;
                flags ^= NON_GREEDY;
            }
            if let Some(last) = last_repeat {
                return Err(self.err(Code::InvalidRepeatOp, last, after));
            }
        }
        let n = self.stack.len();
        if n == 0 || self.nodes[self.stack[n - 1]].op.is_pseudo() {
            return Err(self.err(Code::MissingRepeatArgument, before, after));
        }
        let sub = self.stack[n - 1];
        let re = self.new_node(op);
        {
            let node = &mut self.nodes[re];
            node.min = min;
            node.max = max;
            node.flags = flags;
            node.subs.push(sub);
        }
        self.stack[n - 1] = re;
        self.check_limits(re)?;
        if op == Op::Repeat && (min >= 2 || max >= 2) && !self.repeat_is_valid(re, 1000) {
            return Err(self.err(Code::InvalidRepeatSize, before, after));
        }
        Ok(after)
    }

    /// Go's `repeatIsValid`, with an explicit stack.
    fn repeat_is_valid(&self, root: NodeId, n: i32) -> bool {
        let mut work = vec![(root, n)];
        while let Some((id, mut n)) = work.pop() {
            let node = &self.nodes[id];
            if node.op == Op::Repeat {
                let mut m = node.max;
                if m == 0 {
                    continue;
                }
                if m < 0 {
                    m = node.min;
                }
                if m > n {
                    return false;
                }
                if m > 0 {
                    n /= m;
                }
            }
            work.extend(node.subs.iter().map(|&c| (c, n)));
        }
        true
    }

    /// Go's `concat`.
    fn concat(&mut self) -> Result<Option<NodeId>, Fail> {
        self.maybe_concat(-1, 0);
        let mut i = self.stack.len();
        while i > 0 && !self.nodes[self.stack[i - 1]].op.is_pseudo() {
            i -= 1;
        }
        let subs = self.stack.split_off(i);
        if subs.is_empty() {
            let e = self.new_node(Op::EmptyMatch);
            return Ok(self.push(e)?);
        }
        let c = self.collapse(subs, Op::Concat)?;
        Ok(self.push(c)?)
    }

    /// Go's `alternate`.
    fn alternate(&mut self) -> Result<Option<NodeId>, Fail> {
        let mut i = self.stack.len();
        while i > 0 && !self.nodes[self.stack[i - 1]].op.is_pseudo() {
            i -= 1;
        }
        let subs = self.stack.split_off(i);
        if let Some(&last) = subs.last() {
            self.clean_alt(last);
        }
        if subs.is_empty() {
            let e = self.new_node(Op::NoMatch);
            return Ok(self.push(e)?);
        }
        let c = self.collapse(subs, Op::Alternate)?;
        Ok(self.push(c)?)
    }

    /// Go's `cleanAlt`.
    fn clean_alt(&mut self, id: NodeId) {
        let n = &mut self.nodes[id];
        if n.op == Op::CharClass {
            class::clean_class(&mut n.runes);
            if n.runes.as_slice() == [0, MAX_RUNE] {
                n.runes.clear();
                n.op = Op::AnyChar;
            } else if n.runes.as_slice() == [0, 9, 11, MAX_RUNE] {
                n.runes.clear();
                n.op = Op::AnyCharNotNL;
            }
        }
    }

    /// Go's `collapse`.
    fn collapse(&mut self, subs: Vec<NodeId>, op: Op) -> Limit<NodeId> {
        if subs.len() == 1 {
            return Ok(subs[0]);
        }
        let re = self.new_node(op);
        let mut list = Vec::with_capacity(subs.len());
        for sub in subs {
            if self.nodes[sub].op == op {
                let inner = std::mem::take(&mut self.nodes[sub].subs);
                list.extend_from_slice(&inner);
                self.nodes[sub].subs = inner;
                self.reuse(sub);
            } else {
                list.push(sub);
            }
        }
        let mut re = re;
        if op == Op::Alternate {
            // Factoring recurses once per level of shared prefixes; a 4096-byte pattern
            // cannot produce more than ~90 levels. The guard keeps that promise on any input.
            self.factor_depth += 1;
            if self.factor_depth > 512 {
                return Err(Code::Large);
            }
            let factored = self.factor(list);
            self.factor_depth -= 1;
            list = factored?;
            if list.len() == 1 {
                let old = re;
                re = list[0];
                self.reuse(old);
                return Ok(re);
            }
        }
        self.nodes[re].subs = list;
        Ok(re)
    }

    fn leading_string(&self, id: NodeId) -> (Vec<i32>, u16) {
        let mut n = &self.nodes[id];
        if n.op == Op::Concat
            && let Some(&first) = n.subs.first()
        {
            n = &self.nodes[first];
        }
        if n.op != Op::Literal {
            return (Vec::new(), 0);
        }
        (n.runes.clone(), n.flags & FOLD_CASE)
    }

    /// Go's `removeLeadingString`.
    fn remove_leading_string(&mut self, id: NodeId, count: usize) -> NodeId {
        let mut path = Vec::new();
        let mut cur = id;
        while self.nodes[cur].op == Op::Concat && !self.nodes[cur].subs.is_empty() {
            path.push(cur);
            cur = self.nodes[cur].subs[0];
        }
        if self.nodes[cur].op == Op::Literal {
            let n = &mut self.nodes[cur];
            let k = count.min(n.runes.len());
            n.runes.drain(..k);
            if n.runes.is_empty() {
                n.op = Op::EmptyMatch;
            }
        }
        let mut result = cur;
        while let Some(parent) = path.pop() {
            self.nodes[parent].subs[0] = result;
            let mut r = parent;
            if self.nodes[result].op == Op::EmptyMatch {
                self.reuse(result);
                match self.nodes[parent].subs.len() {
                    0 | 1 => {
                        let n = &mut self.nodes[parent];
                        n.op = Op::EmptyMatch;
                        n.subs.clear();
                    }
                    2 => {
                        r = self.nodes[parent].subs[1];
                        self.reuse(parent);
                    }
                    _ => {
                        self.nodes[parent].subs.remove(0);
                    }
                }
            }
            result = r;
        }
        result
    }

    fn leading_regexp(&self, id: NodeId) -> Option<NodeId> {
        let n = &self.nodes[id];
        if n.op == Op::EmptyMatch {
            return None;
        }
        if n.op == Op::Concat
            && let Some(&first) = n.subs.first()
        {
            if self.nodes[first].op == Op::EmptyMatch {
                return None;
            }
            return Some(first);
        }
        Some(id)
    }

    fn remove_leading_regexp(&mut self, id: NodeId, reuse: bool) -> NodeId {
        if self.nodes[id].op == Op::Concat && !self.nodes[id].subs.is_empty() {
            if reuse {
                let first = self.nodes[id].subs[0];
                self.reuse(first);
            }
            self.nodes[id].subs.remove(0);
            match self.nodes[id].subs.len() {
                0 => {
                    let n = &mut self.nodes[id];
                    n.op = Op::EmptyMatch;
                    n.subs.clear();
                    id
                }
                1 => {
                    let only = self.nodes[id].subs[0];
                    self.reuse(id);
                    only
                }
                _ => id,
            }
        } else {
            if reuse {
                self.reuse(id);
            }
            self.new_node(Op::EmptyMatch)
        }
    }

    /// The part of Go's `Regexp.Equal` that `factor` needs: `a` is a character class or a
    /// fixed repeat of one, so the comparison is shallow.
    fn equal_shallow(&self, a: NodeId, b: NodeId) -> bool {
        let (x, y) = (&self.nodes[a], &self.nodes[b]);
        if x.op != y.op {
            return false;
        }
        match x.op {
            Op::Literal | Op::CharClass => {
                x.flags & FOLD_CASE == y.flags & FOLD_CASE && x.runes == y.runes
            }
            Op::Repeat => {
                x.flags & NON_GREEDY == y.flags & NON_GREEDY
                    && x.min == y.min
                    && x.max == y.max
                    && match (x.subs.first(), y.subs.first()) {
                        (Some(&xs), Some(&ys)) => {
                            let (xs, ys) = (&self.nodes[xs], &self.nodes[ys]);
                            xs.op == ys.op
                                && match xs.op {
                                    Op::Literal | Op::CharClass => {
                                        xs.flags & FOLD_CASE == ys.flags & FOLD_CASE
                                            && xs.runes == ys.runes
                                    }
                                    _ => true,
                                }
                        }
                        _ => false,
                    }
            }
            _ => true,
        }
    }

    fn factorable_first(&self, id: NodeId) -> bool {
        let n = &self.nodes[id];
        is_char_class_node(n)
            || (n.op == Op::Repeat
                && n.min == n.max
                && n.subs
                    .first()
                    .is_some_and(|&s| is_char_class_node(&self.nodes[s])))
    }

    /// Go's `factor`: common literal prefixes, common leading classes, runs of single
    /// characters merged into classes, runs of empty matches.
    fn factor(&mut self, mut sub: Vec<NodeId>) -> Limit<Vec<NodeId>> {
        if sub.len() < 2 {
            return Ok(sub);
        }

        // Round 1: common literal prefixes.
        let mut str: Vec<i32> = Vec::new();
        let mut strflags: u16 = 0;
        let mut start = 0;
        let mut out: Vec<NodeId> = Vec::new();
        for i in 0..=sub.len() {
            let mut istr = Vec::new();
            let mut iflags = 0;
            if i < sub.len() {
                (istr, iflags) = self.leading_string(sub[i]);
                if iflags == strflags {
                    let same = str.iter().zip(&istr).take_while(|(a, b)| a == b).count();
                    if same > 0 {
                        str.truncate(same);
                        continue;
                    }
                }
            }
            if i == start {
            } else if i == start + 1 {
                out.push(sub[start]);
            } else {
                let prefix = self.new_node(Op::Literal);
                self.nodes[prefix].flags = strflags;
                self.nodes[prefix].runes = str.clone();
                for item in &mut sub[start..i] {
                    *item = self.remove_leading_string(*item, str.len());
                    self.check_limits(*item)?;
                }
                let suffix = self.collapse(sub[start..i].to_vec(), Op::Alternate)?;
                let re = self.new_node(Op::Concat);
                self.nodes[re].subs = vec![prefix, suffix];
                out.push(re);
            }
            start = i;
            str = istr;
            strflags = iflags;
        }
        sub = out;

        // Round 2: common leading regexp (a class, or a fixed repeat of a class).
        let mut start = 0;
        let mut out: Vec<NodeId> = Vec::new();
        let mut first: Option<NodeId> = None;
        for i in 0..=sub.len() {
            let mut ifirst = None;
            if i < sub.len() {
                ifirst = self.leading_regexp(sub[i]);
                if let (Some(f), Some(fi)) = (first, ifirst)
                    && self.factorable_first(f)
                    && self.equal_shallow(f, fi)
                {
                    continue;
                }
            }
            if i == start {
            } else if i == start + 1 {
                out.push(sub[start]);
            } else if let Some(prefix) = first {
                for (k, item) in sub[start..i].iter_mut().enumerate() {
                    // The prefix node comes from the first alternative: keep it.
                    *item = self.remove_leading_regexp(*item, k != 0);
                    self.check_limits(*item)?;
                }
                let suffix = self.collapse(sub[start..i].to_vec(), Op::Alternate)?;
                let re = self.new_node(Op::Concat);
                self.nodes[re].subs = vec![prefix, suffix];
                out.push(re);
            }
            start = i;
            first = ifirst;
        }
        sub = out;

        // Round 3: runs of single characters or classes become one class.
        let mut start = 0;
        let mut out: Vec<NodeId> = Vec::new();
        for i in 0..=sub.len() {
            if i < sub.len() && is_char_class_node(&self.nodes[sub[i]]) {
                continue;
            }
            if i == start {
            } else if i == start + 1 {
                out.push(sub[start]);
            } else {
                let mut max = start;
                for j in start + 1..i {
                    let (a, b) = (&self.nodes[sub[max]], &self.nodes[sub[j]]);
                    if a.op < b.op || (a.op == b.op && a.runes.len() < b.runes.len()) {
                        max = j;
                    }
                }
                sub.swap(start, max);
                for j in start + 1..i {
                    self.merge_char_class(sub[start], sub[j]);
                    self.reuse(sub[j]);
                }
                self.clean_alt(sub[start]);
                out.push(sub[start]);
            }
            if i < sub.len() {
                out.push(sub[i]);
            }
            start = i + 1;
        }
        sub = out;

        // Round 4: runs of empty matches become one.
        let mut out = Vec::with_capacity(sub.len());
        for i in 0..sub.len() {
            if i + 1 < sub.len()
                && self.nodes[sub[i]].op == Op::EmptyMatch
                && self.nodes[sub[i + 1]].op == Op::EmptyMatch
            {
                continue;
            }
            out.push(sub[i]);
        }
        Ok(out)
    }

    fn match_rune(&self, id: NodeId, r: i32) -> bool {
        let n = &self.nodes[id];
        match n.op {
            Op::Literal => n.runes.len() == 1 && n.runes[0] == r,
            Op::CharClass => class::in_class(r, &n.runes),
            Op::AnyCharNotNL => r != 0x0a,
            Op::AnyChar => true,
            _ => false,
        }
    }

    /// Go's `mergeCharClass`: dst |= src, where dst's op is at least src's.
    fn merge_char_class(&mut self, dst: NodeId, src: NodeId) {
        match self.nodes[dst].op {
            Op::AnyCharNotNL if self.match_rune(src, 0x0a) => {
                self.nodes[dst].op = Op::AnyChar;
            }
            Op::CharClass => {
                let s = self.nodes[src].clone();
                let d = &mut self.nodes[dst].runes;
                if s.op == Op::Literal {
                    if let Some(&r) = s.runes.first() {
                        class::append_literal(d, r, s.flags & FOLD_CASE != 0);
                    }
                } else {
                    class::append_class(d, &s.runes);
                }
            }
            Op::Literal => {
                let s = self.nodes[src].clone();
                let d = &mut self.nodes[dst];
                let (Some(&sr), Some(&dr)) = (s.runes.first(), d.runes.first()) else {
                    return;
                };
                if sr == dr && s.flags == d.flags {
                    return;
                }
                d.op = Op::CharClass;
                d.runes.clear();
                class::append_literal(&mut d.runes, dr, d.flags & FOLD_CASE != 0);
                class::append_literal(&mut d.runes, sr, s.flags & FOLD_CASE != 0);
            }
            _ => {}
        }
    }

    /// Go's `swapVerticalBar`.
    fn swap_vertical_bar(&mut self) -> bool {
        let n = self.stack.len();
        if n >= 3
            && self.nodes[self.stack[n - 2]].op == Op::VerticalBar
            && is_char_class_node(&self.nodes[self.stack[n - 1]])
            && is_char_class_node(&self.nodes[self.stack[n - 3]])
        {
            let mut re1 = self.stack[n - 1];
            let mut re3 = self.stack[n - 3];
            if self.nodes[re1].op > self.nodes[re3].op {
                std::mem::swap(&mut re1, &mut re3);
                self.stack[n - 3] = re3;
            }
            self.merge_char_class(re3, re1);
            self.reuse(re1);
            self.stack.pop();
            return true;
        }
        if n >= 2 {
            let re1 = self.stack[n - 1];
            let re2 = self.stack[n - 2];
            if self.nodes[re2].op == Op::VerticalBar {
                if n >= 3 {
                    self.clean_alt(self.stack[n - 3]);
                }
                self.stack[n - 2] = re1;
                self.stack[n - 1] = re2;
                return true;
            }
        }
        false
    }

    fn parse_vertical_bar(&mut self) -> Result<(), Fail> {
        self.concat()?;
        if !self.swap_vertical_bar() {
            self.op(Op::VerticalBar)?;
        }
        Ok(())
    }

    fn parse_right_paren(&mut self) -> Result<(), Fail> {
        self.concat()?;
        if self.swap_vertical_bar() {
            self.stack.pop();
        }
        self.alternate()?;
        let n = self.stack.len();
        if n < 2 {
            return Err(self.err(Code::UnexpectedParen, 0, self.whole.len()));
        }
        let re1 = self.stack[n - 1];
        let re2 = self.stack[n - 2];
        self.stack.truncate(n - 2);
        if self.nodes[re2].op != Op::LeftParen {
            return Err(self.err(Code::UnexpectedParen, 0, self.whole.len()));
        }
        self.flags = self.nodes[re2].flags;
        if self.nodes[re2].cap == 0 {
            self.push(re1)?;
        } else {
            let n = &mut self.nodes[re2];
            n.op = Op::Capture;
            n.subs = vec![re1];
            self.push(re2)?;
        }
        Ok(())
    }

    /// Go's `parseEscape`: the escape at byte `t` (a backslash). Returns the rune and the
    /// offset after it.
    fn parse_escape(&self, t: usize) -> Result<(i32, usize), Fail> {
        let s = self.whole;
        let mut i = t + 1;
        if i >= s.len() {
            return Err(Fail::Parse(ParseError {
                code: Code::TrailingBackslash,
                expr: String::new(),
            }));
        }
        let (c, ni) = next_rune(s, i);
        i = ni;
        let octal = |b: Option<u8>| b.is_some_and(|b| (b'0'..=b'7').contains(&b));
        match c {
            0x31..=0x37 if !octal(self.byte(i)) => {}
            0x30..=0x37 => {
                let mut r = c - 0x30;
                for _ in 1..3 {
                    match self.byte(i) {
                        Some(b) if (b'0'..=b'7').contains(&b) => {
                            r = r * 8 + i32::from(b - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                return Ok((r, i));
            }
            0x78 => {
                // 'x'
                if i < s.len() {
                    let (c, ni) = next_rune(s, i);
                    i = ni;
                    if c == 0x7b {
                        // '{': any number of hex digits, at least one, up to MaxRune.
                        let mut nhex = 0;
                        let mut r: i32 = 0;
                        let mut ok = false;
                        loop {
                            if i >= s.len() {
                                break;
                            }
                            let (c, ni) = next_rune(s, i);
                            i = ni;
                            if c == 0x7d {
                                ok = nhex > 0;
                                break;
                            }
                            let v = unhex(c);
                            if v < 0 {
                                break;
                            }
                            r = r * 16 + v;
                            if r > MAX_RUNE {
                                break;
                            }
                            nhex += 1;
                        }
                        if ok {
                            return Ok((r, i));
                        }
                    } else {
                        let x = unhex(c);
                        let (c, ni) = next_rune(s, i);
                        i = ni;
                        let y = unhex(c);
                        if x >= 0 && y >= 0 {
                            return Ok((x * 16 + y, i));
                        }
                    }
                }
            }
            0x61 => return Ok((0x07, i)), // \a
            0x66 => return Ok((0x0c, i)), // \f
            0x6e => return Ok((0x0a, i)), // \n
            0x72 => return Ok((0x0d, i)), // \r
            0x74 => return Ok((0x09, i)), // \t
            0x76 => return Ok((0x0b, i)), // \v
            _ => {
                if c < 0x80 && !is_alnum(c) {
                    return Ok((c, i));
                }
            }
        }
        Err(self.err(Code::InvalidEscape, t, i))
    }

    fn parse_class_char(&self, t: usize, whole_class: usize) -> Result<(i32, usize), Fail> {
        if t >= self.whole.len() {
            return Err(self.err(Code::MissingBracket, whole_class, self.whole.len()));
        }
        if self.byte(t) == Some(b'\\') {
            return self.parse_escape(t);
        }
        Ok(next_rune(self.whole, t))
    }

    /// Go's `appendGroup`.
    fn append_group(&self, r: &mut Vec<i32>, g: Group) {
        if self.flags & FOLD_CASE == 0 {
            if g.negated {
                class::append_negated_class(r, g.class);
            } else {
                class::append_class(r, g.class);
            }
        } else {
            let mut tmp = Vec::new();
            class::append_folded_class(&mut tmp, g.class);
            class::clean_class(&mut tmp);
            if g.negated {
                class::append_negated_class(r, &tmp);
            } else {
                class::append_class(r, &tmp);
            }
        }
    }

    /// Go's `parsePerlClassEscape`: `\d` and friends at `t`; returns the offset after it.
    fn parse_perl_class_escape(&self, t: usize, r: &mut Vec<i32>) -> Option<usize> {
        if self.flags & PERL_X == 0 || self.byte(t) != Some(b'\\') {
            return None;
        }
        let g = class::perl_group(self.byte(t + 1)?)?;
        self.append_group(r, g);
        Some(t + 2)
    }

    /// Go's `parseNamedClass`: `[:alpha:]` at `t`.
    fn parse_named_class(&self, t: usize, r: &mut Vec<i32>) -> Result<Option<usize>, Fail> {
        let s = self.whole;
        if self.byte(t) != Some(b'[') || self.byte(t + 1) != Some(b':') {
            return Ok(None);
        }
        let Some(rel) = s.get(t + 2..).and_then(|x| x.find(":]")) else {
            return Ok(None);
        };
        let end = t + 2 + rel + 2;
        let name = slice(s, t, end);
        let Some(g) = class::posix_group(&name) else {
            return Err(self.err(Code::InvalidCharRange, t, end));
        };
        self.append_group(r, g);
        Ok(Some(end))
    }

    /// Go's `parseUnicodeClass`: `\pL`, `\p{Greek}`, `\PL`, `\p{^L}` at `t`.
    fn parse_unicode_class(&self, t: usize, r: &mut Vec<i32>) -> Result<Option<usize>, Fail> {
        let s = self.whole;
        if self.flags & UNICODE_GROUPS == 0
            || self.byte(t) != Some(b'\\')
            || !matches!(self.byte(t + 1), Some(b'p' | b'P'))
        {
            return Ok(None);
        }
        let mut negated = self.byte(t + 1) == Some(b'P');
        let (c, after) = next_rune(s, t + 2);
        let (seq_end, name_start, name_end, rest) = if c != 0x7b {
            (after, t + 2, after, after)
        } else {
            let Some(rel) = s.get(t..).and_then(|x| x.find('}')) else {
                return Err(self.err(Code::InvalidCharRange, t, s.len()));
            };
            (t + rel + 1, t + 3, t + rel, t + rel + 1)
        };
        let mut name = slice(s, name_start, name_end);
        if let Some(stripped) = name.strip_prefix('^') {
            negated = !negated;
            name = stripped.to_string();
        }
        let Some(table) = class::unicode_table(&name) else {
            return Err(self.err(Code::InvalidCharRange, t, seq_end));
        };
        if table.negated {
            negated = !negated;
        }
        match (self.flags & FOLD_CASE != 0, &table.fold) {
            (true, Some(fold)) => {
                // Go appends both tables and cleans the result: their union.
                let tmp = class::union(&table.runes, fold);
                if negated {
                    class::append_negated_class(r, &tmp);
                } else {
                    class::append_class(r, &tmp);
                }
            }
            _ => {
                if negated {
                    class::append_negated_table(r, &table.runes);
                } else {
                    class::append_table(r, &table.runes);
                }
            }
        }
        Ok(Some(rest))
    }

    /// Go's `parseClass`: `[...]` at `t`; returns the offset after it.
    fn parse_class(&mut self, t: usize) -> Result<usize, Fail> {
        let s = self.whole;
        let whole_class = t;
        let mut i = t + 1;
        let re = self.new_node(Op::CharClass);
        self.nodes[re].flags = self.flags;
        let mut class: Vec<i32> = Vec::new();
        let mut negated = false;
        if self.byte(i) == Some(b'^') {
            negated = true;
            i += 1;
            if self.flags & CLASS_NL == 0 {
                class.push(0x0a);
                class.push(0x0a);
            }
        }
        let mut first = true;
        while i >= s.len() || self.byte(i) != Some(b']') || first {
            // (Go's POSIX-mode check on '-' does not apply: regexp.Compile parses with PerlX.)
            first = false;
            if s.len().saturating_sub(i) > 2
                && self.byte(i) == Some(b'[')
                && self.byte(i + 1) == Some(b':')
                && let Some(nt) = self.parse_named_class(i, &mut class)?
            {
                i = nt;
                continue;
            }
            if let Some(nt) = self.parse_unicode_class(i, &mut class)? {
                i = nt;
                continue;
            }
            if let Some(nt) = self.parse_perl_class_escape(i, &mut class) {
                i = nt;
                continue;
            }
            let rng = i;
            let (lo, ni) = self.parse_class_char(i, whole_class)?;
            i = ni;
            let mut hi = lo;
            if self.byte(i) == Some(b'-') && self.byte(i + 1).is_some_and(|b| b != b']') {
                i += 1;
                let (h, ni) = self.parse_class_char(i, whole_class)?;
                hi = h;
                i = ni;
                if hi < lo {
                    return Err(self.err(Code::InvalidCharRange, rng, i));
                }
            }
            if self.flags & FOLD_CASE == 0 {
                class::append_range(&mut class, lo, hi);
            } else {
                class::append_folded_range(&mut class, lo, hi);
            }
        }
        i += 1;
        class::clean_class(&mut class);
        if negated {
            class::negate_class(&mut class);
        }
        self.nodes[re].runes = class;
        self.push(re)?;
        Ok(i)
    }

    /// Go's `parseInt` at byte `i`: (value or -1 if too big, offset after the digits).
    fn parse_int(&self, i: usize) -> Option<(i32, usize)> {
        let b = self.whole.as_bytes();
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        if b[i] == b'0' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let mut j = i;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let mut n: i32 = 0;
        for &d in &b[i..j] {
            if n >= 100_000_000 {
                n = -1;
                break;
            }
            n = n * 10 + i32::from(d - b'0');
        }
        Some((n, j))
    }

    /// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}` at `t`.
    fn parse_repeat(&self, t: usize) -> Option<(i32, i32, usize)> {
        if self.byte(t) != Some(b'{') {
            return None;
        }
        let (mut min, mut i) = self.parse_int(t + 1)?;
        let max;
        match self.byte(i)? {
            b',' => {
                i += 1;
                if self.byte(i)? == b'}' {
                    max = -1;
                } else {
                    let (m, ni) = self.parse_int(i)?;
                    i = ni;
                    max = m;
                    if max < 0 {
                        min = -1;
                    }
                }
            }
            _ => max = min,
        }
        if self.byte(i)? != b'}' {
            return None;
        }
        Some((min, max, i + 1))
    }

    /// Go's `parsePerlFlags`: `(?` at `t`; returns the offset after the construct.
    fn parse_perl_flags(&mut self, t: usize) -> Result<usize, Fail> {
        let s = self.whole;
        let rest = s.as_bytes().get(t..).unwrap_or(&[]);
        let starts_with_p = rest.len() > 4 && rest[2] == b'P' && rest[3] == b'<';
        let starts_with_name = rest.len() > 3 && rest[2] == b'<';
        if starts_with_p || starts_with_name {
            let expr_start = if starts_with_name { 3 } else { 4 };
            let Some(end) = s.get(t..).and_then(|x| x.find('>')) else {
                return Err(self.err(Code::InvalidNamedCapture, t, s.len()));
            };
            let name = s.get(t + expr_start..t + end).unwrap_or("");
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return Err(self.err(Code::InvalidNamedCapture, t, t + end + 1));
            }
            self.num_cap += 1;
            if let Some(re) = self.op(Op::LeftParen)? {
                self.nodes[re].cap = self.num_cap;
            }
            return Ok(t + end + 1);
        }

        let mut i = t + 2;
        let mut flags = self.flags;
        let mut sign = 1;
        let mut saw_flag = false;
        while i < s.len() {
            let (c, ni) = next_rune(s, i);
            i = ni;
            match c {
                0x69 => {
                    flags |= FOLD_CASE;
                    saw_flag = true;
                }
                0x6d => {
                    flags &= !ONE_LINE;
                    saw_flag = true;
                }
                0x73 => {
                    flags |= DOT_NL;
                    saw_flag = true;
                }
                0x55 => {
                    flags |= NON_GREEDY;
                    saw_flag = true;
                }
                0x2d => {
                    if sign < 0 {
                        break;
                    }
                    sign = -1;
                    flags = !flags;
                    saw_flag = false;
                }
                0x3a | 0x29 => {
                    if sign < 0 {
                        if !saw_flag {
                            break;
                        }
                        flags = !flags;
                    }
                    if c == 0x3a {
                        self.op(Op::LeftParen)?;
                    }
                    self.flags = flags;
                    return Ok(i);
                }
                _ => break,
            }
        }
        Err(self.err(Code::InvalidPerlOp, t, i))
    }

    fn run(&mut self) -> Result<NodeId, Fail> {
        let s = self.whole;
        let mut t = 0;
        let mut last_repeat: Option<usize> = None;
        while t < s.len() {
            let mut repeat: Option<usize> = None;
            let Some(b) = self.byte(t) else { break };
            match b {
                b'(' => {
                    if self.flags & PERL_X != 0 && self.byte(t + 1) == Some(b'?') {
                        t = self.parse_perl_flags(t)?;
                    } else {
                        self.num_cap += 1;
                        if let Some(re) = self.op(Op::LeftParen)? {
                            self.nodes[re].cap = self.num_cap;
                        }
                        t += 1;
                    }
                }
                b'|' => {
                    self.parse_vertical_bar()?;
                    t += 1;
                }
                b')' => {
                    self.parse_right_paren()?;
                    t += 1;
                }
                b'^' => {
                    if self.flags & ONE_LINE != 0 {
                        self.op(Op::BeginText)?;
                    } else {
                        self.op(Op::BeginLine)?;
                    }
                    t += 1;
                }
                b'$' => {
                    if self.flags & ONE_LINE != 0 {
                        if let Some(re) = self.op(Op::EndText)? {
                            self.nodes[re].flags |= WAS_DOLLAR;
                        }
                    } else {
                        self.op(Op::EndLine)?;
                    }
                    t += 1;
                }
                b'.' => {
                    if self.flags & DOT_NL != 0 {
                        self.op(Op::AnyChar)?;
                    } else {
                        self.op(Op::AnyCharNotNL)?;
                    }
                    t += 1;
                }
                b'[' => {
                    t = self.parse_class(t)?;
                }
                b'*' | b'+' | b'?' => {
                    let op = match b {
                        b'*' => Op::Star,
                        b'+' => Op::Plus,
                        _ => Op::Quest,
                    };
                    let before = t;
                    t = self.repeat(op, 0, 0, before, t + 1, last_repeat)?;
                    repeat = Some(before);
                }
                b'{' => {
                    let before = t;
                    match self.parse_repeat(t) {
                        None => {
                            self.literal(0x7b)?;
                            t += 1;
                        }
                        Some((min, max, after)) => {
                            if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                                return Err(self.err(Code::InvalidRepeatSize, before, after));
                            }
                            t = self.repeat(Op::Repeat, min, max, before, after, last_repeat)?;
                            repeat = Some(before);
                        }
                    }
                }
                b'\\' => {
                    t = self.parse_backslash(t)?;
                }
                _ => {
                    let (c, nt) = next_rune(s, t);
                    self.literal(c)?;
                    t = nt;
                }
            }
            last_repeat = repeat;
        }
        self.concat()?;
        if self.swap_vertical_bar() {
            self.stack.pop();
        }
        self.alternate()?;
        if self.stack.len() != 1 {
            return Err(self.err(Code::MissingParen, 0, s.len()));
        }
        Ok(self.stack[0])
    }

    /// The `\` case of Go's main loop.
    fn parse_backslash(&mut self, t: usize) -> Result<usize, Fail> {
        let s = self.whole;
        if self.flags & PERL_X != 0
            && let Some(c) = self.byte(t + 1)
        {
            match c {
                b'A' => {
                    self.op(Op::BeginText)?;
                    return Ok(t + 2);
                }
                b'b' => {
                    self.op(Op::WordBoundary)?;
                    return Ok(t + 2);
                }
                b'B' => {
                    self.op(Op::NoWordBoundary)?;
                    return Ok(t + 2);
                }
                b'C' => return Err(self.err(Code::InvalidEscape, t, t + 2)),
                b'Q' => {
                    let body = t + 2;
                    let (lit_end, next) = match s.get(body..).and_then(|x| x.find("\\E")) {
                        Some(rel) => (body + rel, body + rel + 2),
                        None => (s.len(), s.len()),
                    };
                    let lit = s.get(body..lit_end).unwrap_or("");
                    for c in lit.chars() {
                        self.literal(c as i32)?;
                    }
                    return Ok(next);
                }
                b'z' => {
                    self.op(Op::EndText)?;
                    return Ok(t + 2);
                }
                _ => {}
            }
        }

        let re = self.new_node(Op::CharClass);
        self.nodes[re].flags = self.flags;
        if matches!(self.byte(t + 1), Some(b'p' | b'P')) {
            let mut r = Vec::new();
            if let Some(rest) = self.parse_unicode_class(t, &mut r)? {
                self.nodes[re].runes = r;
                self.push(re)?;
                return Ok(rest);
            }
        }
        let mut r = Vec::new();
        if let Some(rest) = self.parse_perl_class_escape(t, &mut r) {
            self.nodes[re].runes = r;
            self.push(re)?;
            return Ok(rest);
        }
        self.reuse(re);
        let (c, rest) = self.parse_escape(t)?;
        self.literal(c)?;
        Ok(rest)
    }
}

/// `s[from..to]` as an owned string; offsets always fall on character boundaries here, but a
/// wrong one must not panic.
fn slice(s: &str, from: usize, to: usize) -> String {
    match s.get(from..to) {
        Some(x) => x.to_string(),
        None => {
            let b = s.as_bytes();
            let to = to.min(b.len());
            let from = from.min(to);
            String::from_utf8_lossy(&b[from..to]).into_owned()
        }
    }
}
