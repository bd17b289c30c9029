#!/usr/bin/env python3
"""Writes the adversarial corpus's cases (go_cases.json format) to stdout: patterns chosen to be
expensive for an automaton-based engine (counted repetitions of large classes, nested counters,
(?i) with Unicode, huge alternations, patterns at the 4096-byte cap, deep nesting).

    python3 gen/adversarial.py > /tmp/adv_cases.json
    go run ../../../tools/goregex-verdicts/main.go < /tmp/adv_cases.json > /tmp/adv_go.json
    python3 gen/adversarial.py merge /tmp/adv_go.json > adversarial.json

`merge` joins Go's verdicts with each case's note and with `bound`: true for the patterns goregex
rejects on purpose (its program-size bound, or MAX_PATTERN_LEN), listed here.
"""
import json
import sys

CAP = 4096
LETTERS253 = ("kubecon" * 37)[:253]
GREEK = "\u03b1\u03b2\u03b3" * 40
NAMES = ["kubecon-na-2024", "node-default"]


def alt(words, limit=CAP, wrap=("(?:", ")")):
    """Joins words with | while the pattern stays within `limit` bytes."""
    out = []
    size = len(wrap[0]) + len(wrap[1])
    for w in words:
        extra = len(w.encode()) + (1 if out else 0)
        if size + extra > limit:
            break
        out.append(w)
        size += extra
    return wrap[0] + "|".join(out) + wrap[1]


def fill(unit, limit=CAP, prefix="", suffix=""):
    """prefix + unit repeated as often as fits in `limit` bytes + suffix."""
    room = limit - len((prefix + suffix).encode())
    return prefix + unit * (room // len(unit.encode())) + suffix


SCRIPTS = ["Greek", "Cyrillic", "Han", "Arabic", "Hebrew", "Latin", "Armenian", "Georgian",
           "Hangul", "Hiragana", "Katakana", "Thai", "Devanagari", "Bengali", "Tamil",
           "Ethiopic", "Cherokee", "Runic", "Ogham", "Tibetan", "Mongolian", "Khmer", "Lao",
           "Sinhala", "Gujarati", "Gurmukhi", "Kannada", "Malayalam", "Telugu", "Oriya"]

# (pattern, haystacks, note, bound): bound = goregex rejects it on purpose although Go accepts.
CASES = [
    # Counted repetitions of large classes.
    (r"\pL{1000}", [LETTERS253, "\u00e9" * 1000], "the issue's repro: ~300 UTF-8 states per copy", False),
    (r"\pL{500}", [LETTERS253, "a" * 500], "", False),
    (r"\PL{1000}", ["-" * 1000, LETTERS253], "negated category", False),
    (r"[\pL\d-]{1,253}", NAMES, "a DNS-label-ish class", False),
    (r"^[\pL\d-]{1,253}$", NAMES + [LETTERS253 + "x"], "", False),
    (r"[\pL\pN]{1000}", [LETTERS253], "", False),
    (r"\p{Greek}{1000}", [GREEK * 9], "", False),
    (r"\p{Han}{1000}", ["\u4e2d" * 1000], "", False),
    (r"[^a]{1000}", ["b" * 1000, LETTERS253], "negated small class: almost all of Unicode", False),
    (r".{1000}", ["x" * 1000, LETTERS253], "", False),
    (r"(?s:.){1000}", ["x\n" * 500], "", False),
    (r"\pL{1,1000}", NAMES, "", False),
    (r"\pL{1000,}", ["\u00e9" * 1001, LETTERS253], "", False),
    (r"^\pL{1000}$", ["\u00e9" * 1000, "\u00e9" * 1001], "", False),
    (r"\w{1000}", ["w" * 1000, LETTERS253], "ASCII class", False),
    (r"[[:^alpha:]]{1000}", ["1" * 1000, LETTERS253], "", False),
    (r"[\x{0}-\x{10FFFF}]{1000}", ["z" * 1000, LETTERS253], "", False),
    (r"\p{Any}{1000}", ["z" * 1000], "", False),
    (r"[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}]{1,1000}", NAMES, "", False),
    (r"\pL{1000}x", ["\u00e9" * 1000 + "x", "\u00e9" * 1000 + "y"], "", False),
    (r"(?:\pL{1000})?", NAMES, "", False),
    (r"(?U)\pL{1,1000}?-", NAMES, "", False),
    (r"\pL{1000}\pN{1000}", [LETTERS253], "two large classes", False),
    (r"\pL{1000}\pN{1000}[\pL\pN]{1000}\PL{1000}\pL{100}", [LETTERS253], "over the rune budget", True),
    (r"[\pL\pN]{1000}[\pL\pN]{1000}[\pL\pN]{1000}[\pL\pN]{1000}[\pL\pN]{1000}", [LETTERS253], "", True),
    # Nested counters (Go bounds their product at 1000).
    (r"(?:a{10}){100}", ["a" * 1000, "a" * 999], "", False),
    (r"(?:\pL{10}){100}", [LETTERS253, "\u00e9" * 1000], "", False),
    (r"((a{2}){2}){250}", ["a" * 1000], "", False),
    (r"(?:(?:a|b){10}){100}", ["ab" * 500], "", False),
    (r"(?:a{1000}){2}", ["a" * 2000], "product over 1000", False),
    (r"(?:(?:a{1000}){1000}){1000}", ["a"], "", False),
    (r"(?:a*){1000}", NAMES, "", False),
    (r"(?:a?){1000}a{1000}", ["a" * 1000, "a" * 999], "exponential for backtrackers", False),
    (r"(?:\pL?){1000}\pL{1000}", [LETTERS253, "\u00e9" * 1000], "", True),
    (r"(a+)+$", ["a" * 200 + "!", "a" * 200], "", False),
    (r"(a|a)*b", ["a" * 253], "", False),
    (r"(?:x+x+)+y", ["x" * 253], "", False),
    (r"(?:\pL+\pL+)+\d", [LETTERS253], "", False),
    # (?i) with Unicode.
    (r"(?i)\pL{1000}", [LETTERS253, "\u00e9" * 1000], "", False),
    (r"(?i)[\p{Greek}\p{Cyrillic}]{500}", [GREEK * 5], "", False),
    (r"(?i)k{1000}", ["\u212a" * 500 + "K" * 250 + "k" * 250, "k" * 999], "KELVIN SIGN folds with k", False),
    (r"(?i)\x{17F}{1000}", ["S" * 500 + "s" * 500], "LONG S folds with s", False),
    (r"(?i)[^k]{1000}", ["a" * 1000, "a" * 999 + "\u212a"], "", False),
    (r"(?i)\x{212A}UBECON", ["kubecon-1", "KUBECON"], "", False),
    (r"(?i)[\x{1C4}-\x{1CC}]{500}", ["\u01c5" * 500], "", False),
    (r"(?i)(?:\x{3C3}|\x{3C2}){1000}", ["\u03a3" * 1000, "\u03c3" * 999], "", False),
    (r"(?i)(?:kubecon|cncf)-\pL{1,253}", NAMES, "", False),
    # Huge alternations.
    (alt([f"kubecon-{i}" for i in range(1000)]), NAMES + ["kubecon-250"], "alternation of node names at the cap", False),
    (alt([chr(0x4e00 + i) for i in range(2000)]), ["\u4e10", "x"], "alternation of 1365 Han characters", False),
    (r"(?:\pL|\pN){1000}", [LETTERS253], "", False),
    (r"(?:\p{Greek}|\p{Cyrillic}|\p{Han}){300}", [GREEK * 3], "", False),
    (alt([rf"\p{{{s}}}" for s in SCRIPTS]) + "{100}", [GREEK], "alternation of scripts, repeated", False),
    (alt([rf"\p{{{s}}}{{30}}" for s in SCRIPTS]), [GREEK], "", False),
    # At the 4096-byte cap.
    ("a" * CAP, ["a" * CAP, "a" * (CAP - 1)], "the longest accepted literal", False),
    ("a" * (CAP + 1), ["a"], "one byte over MAX_PATTERN_LEN", True),
    (fill(r"\pL{1000}"), [LETTERS253], "455 times \\pL{1000}", True),
    (fill(r".*"), NAMES, "2048 times .*", False),
    (fill("(?:a?){1000}", limit=CAP), ["a"], "341 times (?:a?){1000}: 682 000 instructions", True),
    (fill(r"[\pL]", prefix="^", suffix="$"), [LETTERS253], "", False),
    (fill(r"\pL{9}"), [LETTERS253, "\u00e9" * 2500], "4095 letters", True),
    ("[" + "\u00e9\u4e2d" * 800 + "]{1000}", ["\u00e9" * 1000], "", False),
    # Deep nesting.
    ("(" * 999 + r"\pL" + ")" * 999, NAMES, "999 nested groups", False),
    ("(" * 1000 + r"\pL" + ")" * 1000, NAMES, "1000 nested groups: Go's nesting limit", False),
    ("(?:" * 499 + r"\pL" + ")*" * 499, NAMES, "", False),
    ("(?:" * 3 + r"\pL{10}" + "){10}" * 3, [LETTERS253], "", False),
    ("(?:x|" * 400 + r"\pL" + ")" * 400, NAMES, "", False),
    # Empty-width pieces.
    (r"(?:\b\B){1000}", NAMES, "", False),
    (r"(?m)(?:^$){1000}", ["", "a\n\nb"], "", False),
    (r"(?:^|\b)\pL{100}(?:$|\b)", [LETTERS253], "", False),
]


def cases():
    out = []
    for pattern, haystacks, note, bound in CASES:
        out.append({"pattern": pattern, "haystacks": haystacks, "note": note, "bound": bound})
    return out


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "merge":
        with open(sys.argv[2]) as f:
            verdicts = json.load(f)
        cs = cases()
        assert len(verdicts) == len(cs)
        merged = []
        for c, v in zip(cs, verdicts):
            assert v["pattern"] == c["pattern"]
            merged.append({"pattern": c["pattern"], "note": c["note"], "bound": c["bound"],
                           "error": v["error"], "matches": v["matches"]})
        json.dump(merged, sys.stdout, indent=1, ensure_ascii=False)
    else:
        json.dump(cases(), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
