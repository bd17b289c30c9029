//! Go's text conventions the host's output follows: `strconv.Quote` and `encoding/json` strings.

use std::fmt::Write as _;

pub(crate) use gotext::json::push_string as json_string_into;
pub(crate) use gotext::quote::{push_quoted as quote_into, quoted as quote};

/// A JSON array of strings as Go writes a `[]string` (`[]` when empty).
pub(crate) fn json_string_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string_into(&mut out, s.as_ref());
    }
    out.push(']');
    out
}

/// A JSON object as Go writes a `map[string]int`: keys sorted, duplicate keys collapsed (last
/// wins), `{}` when empty.
pub(crate) fn json_int_map<'a>(entries: impl IntoIterator<Item = (&'a str, i64)>) -> String {
    let map: std::collections::BTreeMap<&str, i64> = entries.into_iter().collect();
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string_into(&mut out, k);
        let _ = write!(out, ":{v}");
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote("hello"), r#""hello""#);
        assert_eq!(quote("a\"b\\c\nd\te\u{1}"), r#""a\"b\\c\nd\te\x01""#);
        assert_eq!(quote("héllo ✓"), "\"héllo ✓\"");
        assert_eq!(quote("\u{200b}\u{7f}"), r#""\u200b\x7f""#);
    }

    #[test]
    fn json_like_go() {
        assert_eq!(json_string_array::<&str>(&[]), "[]");
        assert_eq!(
            json_string_array(&["a<b>&c", "d\"\u{1}"]),
            r#"["a\u003cb\u003e\u0026c","d\"\u0001"]"#
        );
        assert_eq!(
            json_int_map([("b", 2), ("a", 1), ("b", 3)]),
            r#"{"a":1,"b":3}"#
        );
        assert_eq!(json_int_map([]), "{}");
    }
}
