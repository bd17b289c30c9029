//! Rune classes as Go's `regexp/syntax` builds them: flat lists of inclusive `[lo, hi]` pairs,
//! Go's simple case folding, and the Unicode, Perl and POSIX groups.
//!
//! The list operations keep Go's exact behaviour (including the order-dependent coalescing of
//! `append_range`) because the parser's later decisions look at the lists' shape.

use crate::tables;

/// Largest Unicode scalar value (Go's `unicode.MaxRune`).
pub(crate) const MAX_RUNE: i32 = 0x10_FFFF;

/// `unicode.SimpleFold`: the next rune of `r`'s case-folding orbit (or `r` itself).
pub(crate) fn simple_fold(r: i32) -> i32 {
    if !(0..=MAX_RUNE).contains(&r) {
        return r;
    }
    let key = r as u32;
    match tables::FOLD_FROM.binary_search(&key) {
        Ok(i) => tables::FOLD_TO.get(i).map_or(r, |&f| f as i32),
        Err(_) => r,
    }
}

/// Smallest rune that folds to or from another (Go's `minFold`).
pub(crate) const MIN_FOLD: i32 = tables::MIN_FOLD as i32;
/// Largest rune that folds to or from another (Go's `maxFold`).
pub(crate) const MAX_FOLD: i32 = tables::MAX_FOLD as i32;

/// The smallest rune of `r`'s folding orbit.
pub(crate) fn min_fold_rune(r: i32) -> i32 {
    if !(MIN_FOLD..=MAX_FOLD).contains(&r) {
        return r;
    }
    let mut m = r;
    let mut f = simple_fold(r);
    // Orbits are short (at most 4 runes); the bound only guards against a broken table.
    let mut guard = 0;
    while f != r && guard < 16 {
        m = m.min(f);
        f = simple_fold(f);
        guard += 1;
    }
    m
}

/// Appends `lo..=hi`, coalescing with the last or next-to-last range as Go's `appendRange`.
pub(crate) fn append_range(r: &mut Vec<i32>, lo: i32, hi: i32) {
    let n = r.len();
    for i in [2usize, 4] {
        if n >= i {
            let (rlo, rhi) = (r[n - i], r[n - i + 1]);
            if lo <= rhi + 1 && rlo <= hi + 1 {
                if lo < rlo {
                    r[n - i] = lo;
                }
                if hi > rhi {
                    r[n - i + 1] = hi;
                }
                return;
            }
        }
    }
    r.push(lo);
    r.push(hi);
}

/// Appends `lo..=hi` and every rune that folds with one of them (Go's `appendFoldedRange`).
pub(crate) fn append_folded_range(r: &mut Vec<i32>, mut lo: i32, mut hi: i32) {
    if lo <= MIN_FOLD && hi >= MAX_FOLD {
        append_range(r, lo, hi);
        return;
    }
    if hi < MIN_FOLD || lo > MAX_FOLD {
        append_range(r, lo, hi);
        return;
    }
    if lo < MIN_FOLD {
        append_range(r, lo, MIN_FOLD - 1);
        lo = MIN_FOLD;
    }
    if hi > MAX_FOLD {
        append_range(r, MAX_FOLD + 1, hi);
        hi = MAX_FOLD;
    }
    for c in lo..=hi {
        append_range(r, c, c);
        let mut f = simple_fold(c);
        let mut guard = 0;
        while f != c && guard < 16 {
            append_range(r, f, f);
            f = simple_fold(f);
            guard += 1;
        }
    }
}

/// Appends a single rune, folded if `fold`.
pub(crate) fn append_literal(r: &mut Vec<i32>, x: i32, fold: bool) {
    if fold {
        append_folded_range(r, x, x);
    } else {
        append_range(r, x, x);
    }
}

/// Appends a clean class.
pub(crate) fn append_class(r: &mut Vec<i32>, x: &[i32]) {
    for p in x.chunks_exact(2) {
        append_range(r, p[0], p[1]);
    }
}

/// Appends the case folding of a class.
pub(crate) fn append_folded_class(r: &mut Vec<i32>, x: &[i32]) {
    for p in x.chunks_exact(2) {
        append_folded_range(r, p[0], p[1]);
    }
}

/// Appends the negation of a clean class.
pub(crate) fn append_negated_class(r: &mut Vec<i32>, x: &[i32]) {
    let mut next_lo = 0;
    for p in x.chunks_exact(2) {
        if next_lo < p[0] {
            append_range(r, next_lo, p[0] - 1);
        }
        next_lo = p[1] + 1;
    }
    if next_lo <= MAX_RUNE {
        append_range(r, next_lo, MAX_RUNE);
    }
}

/// Sorts and merges the ranges (Go's `cleanClass`).
pub(crate) fn clean_class(r: &mut Vec<i32>) {
    r.truncate(r.len() & !1);
    let sorted = r
        .chunks_exact(2)
        .zip(r.chunks_exact(2).skip(1))
        .all(|(a, b)| a[0] <= b[0]);
    if !sorted {
        let mut pairs: Vec<(i32, i32)> = r.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        r.clear();
        for (lo, hi) in pairs {
            r.push(lo);
            r.push(hi);
        }
    }
    // Merge abutting and overlapping ranges in place.
    let mut w = 0;
    let mut i = 0;
    while i + 1 < r.len() {
        let (lo, hi) = (r[i], r[i + 1]);
        if w > 0 && lo <= r[w - 1] + 1 {
            if hi > r[w - 1] {
                r[w - 1] = hi;
            }
        } else {
            r[w] = lo;
            r[w + 1] = hi;
            w += 2;
        }
        i += 2;
    }
    r.truncate(w);
}

/// The union of two clean classes, clean.
pub(crate) fn union(a: &[i32], b: &[i32]) -> Vec<i32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i + 1 < a.len() || j + 1 < b.len() {
        let take_a = j + 1 >= b.len() || (i + 1 < a.len() && a[i] <= b[j]);
        let (lo, hi) = if take_a {
            i += 2;
            (a[i - 2], a[i - 1])
        } else {
            j += 2;
            (b[j - 2], b[j - 1])
        };
        match out.last_mut() {
            Some(last) if lo <= *last + 1 => {
                if hi > *last {
                    *last = hi;
                }
            }
            _ => {
                out.push(lo);
                out.push(hi);
            }
        }
    }
    out
}

/// Replaces a clean class by its negation (Go's `negateClass`).
pub(crate) fn negate_class(r: &mut Vec<i32>) {
    let mut out = Vec::with_capacity(r.len() + 2);
    let mut next_lo = 0;
    for p in r.chunks_exact(2) {
        if next_lo < p[0] {
            out.push(next_lo);
            out.push(p[0] - 1);
        }
        next_lo = p[1] + 1;
    }
    if next_lo <= MAX_RUNE {
        out.push(next_lo);
        out.push(MAX_RUNE);
    }
    *r = out;
}

/// Whether `c` is in the clean class `class`.
pub(crate) fn in_class(c: i32, class: &[i32]) -> bool {
    class.chunks_exact(2).any(|p| p[0] <= c && c <= p[1])
}

/// A Perl or POSIX group: sign (`+1` or `-1`) and ranges.
#[derive(Clone, Copy)]
pub(crate) struct Group {
    pub(crate) negated: bool,
    pub(crate) class: &'static [i32],
}

const DIGIT: &[i32] = &[0x30, 0x39];
const SPACE_PERL: &[i32] = &[0x9, 0xa, 0xc, 0xd, 0x20, 0x20];
const WORD: &[i32] = &[0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];

/// `\d \D \s \S \w \W` (ASCII, as in Go).
pub(crate) fn perl_group(c: u8) -> Option<Group> {
    let (negated, class) = match c {
        b'd' => (false, DIGIT),
        b'D' => (true, DIGIT),
        b's' => (false, SPACE_PERL),
        b'S' => (true, SPACE_PERL),
        b'w' => (false, WORD),
        b'W' => (true, WORD),
        _ => return None,
    };
    Some(Group { negated, class })
}

/// `[:alnum:]`, `[:^alnum:]` and the other POSIX classes Go knows.
pub(crate) fn posix_group(name: &str) -> Option<Group> {
    let (negated, bare) = match name.strip_prefix("[:^") {
        Some(rest) => (true, rest),
        None => (false, name.strip_prefix("[:")?),
    };
    let class: &'static [i32] = match bare {
        "alnum:]" => &[0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
        "alpha:]" => &[0x41, 0x5a, 0x61, 0x7a],
        "ascii:]" => &[0x0, 0x7f],
        "blank:]" => &[0x9, 0x9, 0x20, 0x20],
        "cntrl:]" => &[0x0, 0x1f, 0x7f, 0x7f],
        "digit:]" => DIGIT,
        "graph:]" => &[0x21, 0x7e],
        "lower:]" => &[0x61, 0x7a],
        "print:]" => &[0x20, 0x7e],
        "punct:]" => &[0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
        "space:]" => &[0x9, 0xd, 0x20, 0x20],
        "upper:]" => &[0x41, 0x5a],
        "word:]" => WORD,
        "xdigit:]" => &[0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
        _ => return None,
    };
    Some(Group { negated, class })
}

/// A Unicode table found by name: its runes, the extra runes that fold with them (if Go has
/// such a table for it), and whether the result is inverted (`\p{Assigned}` is "not Cn").
pub(crate) struct UnicodeTable {
    pub(crate) runes: Vec<i32>,
    pub(crate) fold: Option<Vec<i32>>,
    pub(crate) negated: bool,
}

fn to_i32(x: &[u32]) -> Vec<i32> {
    x.iter().map(|&v| v as i32).collect()
}

/// The runes of a category of Go's `unicode.Categories` (two-letter, one-letter, or `LC`).
fn category(name: &str) -> Option<Vec<i32>> {
    tables::CATEGORIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| to_i32(r))
}

fn fold_category(name: &str) -> Option<Vec<i32>> {
    tables::FOLD_CATEGORY
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| to_i32(r))
}

fn fold_script(name: &str) -> Option<Vec<i32>> {
    tables::FOLD_SCRIPT
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| to_i32(r))
}

/// Go's `canonicalName`: first letter upper case, the rest lower case, no `_`, `-` or space.
fn canonical_name(name: &str) -> String {
    let mut out = Vec::with_capacity(name.len());
    let mut first = true;
    for &c in name.as_bytes() {
        let c = match c {
            b'_' | b'-' | b' ' => continue,
            _ if first => {
                first = false;
                c.to_ascii_uppercase()
            }
            _ => c.to_ascii_lowercase(),
        };
        out.push(c);
    }
    // Only ASCII bytes were changed, so the bytes are still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Go's `unicodeTable`: looks a `\p{...}` name up.
pub(crate) fn unicode_table(name: &str) -> Option<UnicodeTable> {
    let name = canonical_name(name);
    let plain = |runes: Vec<i32>, fold: Option<Vec<i32>>| {
        Some(UnicodeTable {
            runes,
            fold,
            negated: false,
        })
    };
    match name.as_str() {
        "Any" => {
            let all = vec![0, MAX_RUNE];
            return plain(all.clone(), Some(all));
        }
        "Assigned" => {
            let cn = category("Cn")?;
            return Some(UnicodeTable {
                runes: cn.clone(),
                fold: Some(cn),
                negated: true,
            });
        }
        "Ascii" => {
            return plain(
                vec![0, 0x7f],
                Some(vec![0, 0x7f, 0x17f, 0x17f, 0x212a, 0x212a]),
            );
        }
        "Lc" => return plain(category("LC")?, fold_category("LC")),
        _ => {}
    }
    // Go's lookup is on the canonical name, which is never "LC" (handled above as "Lc").
    if name != "LC"
        && let Some(r) = category(&name)
    {
        return plain(r, fold_category(&name));
    }
    if let Some((go_name, _, r)) = tables::SCRIPTS.iter().find(|(n, _, _)| *n == name) {
        return plain(to_i32(r), fold_script(go_name));
    }
    if let Some((_, actual)) = tables::CATEGORY_ALIASES.iter().find(|(a, _)| *a == name) {
        return plain(category(actual)?, fold_category(actual));
    }
    if let Some((go_name, _, r)) = tables::SCRIPTS.iter().find(|(_, c, _)| *c == name) {
        return plain(to_i32(r), fold_script(go_name));
    }
    None
}

/// Appends a Unicode table (Go's `appendTable`; tables are stored clean, which gives the same
/// list as Go's stride expansion).
pub(crate) fn append_table(r: &mut Vec<i32>, x: &[i32]) {
    append_class(r, x);
}

/// Appends the negation of a Unicode table.
pub(crate) fn append_negated_table(r: &mut Vec<i32>, x: &[i32]) {
    append_negated_class(r, x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_bounds_match_go_constants() {
        // Go hard-codes these in regexp/syntax and checks them against package unicode.
        assert_eq!(MIN_FOLD, 0x41);
        assert_eq!(MAX_FOLD, 0x1e943);
    }

    #[test]
    fn kelvin_orbit() {
        assert_eq!(simple_fold('K' as i32), 'k' as i32);
        assert_eq!(simple_fold('k' as i32), 0x212a);
        assert_eq!(simple_fold(0x212a), 'K' as i32);
        assert_eq!(min_fold_rune(0x212a), 'K' as i32);
    }

    #[test]
    fn clean_and_union() {
        let mut r = vec![5, 6, 1, 2, 3, 3, 10, 12, 11, 20];
        clean_class(&mut r);
        assert_eq!(r, vec![1, 3, 5, 6, 10, 20]);
        let mut r = vec![1, 2, 3, 4, 8, 9];
        clean_class(&mut r);
        assert_eq!(r, vec![1, 4, 8, 9]);
        assert_eq!(
            union(&[1, 2, 10, 11], &[3, 5, 11, 12, 20, 20]),
            vec![1, 5, 10, 12, 20, 20]
        );
        assert_eq!(union(&[], &[3, 5]), vec![3, 5]);
    }

    #[test]
    fn lookups() {
        assert!(unicode_table("L").is_some());
        assert!(unicode_table("Greek").is_some());
        assert!(unicode_table("greek").is_some());
        assert!(unicode_table("Letter").is_some());
        assert!(unicode_table("Old_Italic").is_some());
        assert!(unicode_table("Nope").is_none());
        assert!(unicode_table("").is_none());
    }
}
