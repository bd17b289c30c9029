# Grammar-shaped random patterns and haystacks for the differential run against Go.
# python3 random_cases.py N SEED > cases.json
import json, random, sys
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
N = int(sys.argv[1])
LIT = list("abkKsS-0_ .") + ["\u017f", "\u212a", "\u00e9", "\u03b1", "\u03a3", "\u03c2", "\u00df", "\u1e9e", "\n", "\u0130", "\u0131", "\u01c5"]
ESC = [r"\d", r"\w", r"\s", r"\b", r"\B", r"\D", r"\W", r"\S", r"\pL", r"\p{Greek}", r"\PL", r"\p{^L}", r"\pN", r"\p{Lu}", r"\p{Ll}", r"\p{Any}",
       r"\p{ASCII}", r"\p{Assigned}", r"\p{greek}", r"\p{Letter}", r"\p{L&}", r"\p{Foo}", r"\p{Latin}", r"\p{Common}", r"\p{Inherited}", r"\p{Lt}",
       r"\055", r"\0", r"\01", r"\101", r"\x41", r"\x{212A}", r"\x{17F}", r"\x{10FFFF}", r"\x{110000}", r"\x4", r"\xg", r"\n", r"\t", r"\.", r"\<", r"\>", r"\_",
       r"\z", r"\A", r"\C", r"\Z", r"\8", r"\1", r"\Qa.b\E", r"\Qk*", r"\Q\E", r"\\", r"\-", r"\]", r"\[", r"\q", r"\é", r"\p", r"\pX", r"\p{", r"\x{", r"\x{}"]
CLASS_ITEMS = ["a", "b", "k", "z", "K", "s", "-", "]", "^", "[", "\u00e9", "\u212a", "\u017f", "a-z", "A-Z", "0-9", "k-s", "z-a", "\u00e0-\u00ff", r"\d", r"\w", r"\s", r"\D", r"\W", r"\pL", r"\PL", r"\p{Greek}", r"\p{^Lu}",
               "[:alpha:]", "[:^alpha:]", "[:digit:]", "[:upper:]", "[:lower:]", "[:word:]", "[:punct:]", "[:foo:]", "[:", r"\x{212A}", r"\055", r"\b", r"\-", r"\]", r"\n", "&&", "--", "~~", ":", "a-\\d", "\\d-z"]
FLAGS = ["(?i)", "(?-i)", "(?s)", "(?m)", "(?U)", "(?sm)", "(?i-s)", "(?x)", "(?u)", "(?-u)", "(?i", "(?-)", "(?im-sU)"]
OPEN = ["(", "(?:", "(?i:", "(?s:", "(?m:", "(?-i:", "(?P<n>", "(?<n>", "(?P<a1>", "(?P<>", "(?P<n!>", "(?P=n)", "(?'n'", "(?U:"]
REP = ["*", "+", "?", "*?", "+?", "??", "{2}", "{0}", "{1,3}", "{2,}", "{0,1}", "{1000}", "{1001}", "{3,2}", "{,2}", "{01}", "{1", "{2}?", "{0,1000}"]

def atom(d):
    r = rnd.random()
    if r < 0.35: return rnd.choice(LIT)
    if r < 0.55: return rnd.choice(ESC)
    if r < 0.70:
        s = "[" + ("^" if rnd.random() < 0.3 else "")
        for _ in range(rnd.randint(0, 4)): s += rnd.choice(CLASS_ITEMS)
        return s + ("]" if rnd.random() < 0.93 else "")
    if r < 0.78: return rnd.choice([".", "^", "$"])
    if r < 0.83: return rnd.choice(FLAGS)
    if d < 4 and r < 0.97:
        return rnd.choice(OPEN) + expr(d + 1) + (")" if rnd.random() < 0.93 else "")
    return rnd.choice(["|", ")", "*", "{", "}", "]", "\\"])

def piece(d):
    a = atom(d)
    if rnd.random() < 0.3:
        a += rnd.choice(REP)
        if rnd.random() < 0.05: a += rnd.choice(REP)
    return a

def expr(d):
    parts = [piece(d) for _ in range(rnd.randint(0, 4))]
    s = "".join(parts)
    if rnd.random() < 0.2: s += "|" + "".join(piece(d) for _ in range(rnd.randint(0, 3)))
    return s

HAY = list("abkKsS-0_ .") + ["\u017f", "\u212a", "\u00e9", "\u03b1", "\u03c3", "\u03c2", "\u00df", "\u1e9e", "\n", "\u0131", "A", "z", "1", "\u01c6", "\u0130", "Z"]
def hay():
    return "".join(rnd.choice(HAY) for _ in range(rnd.randint(0, 7)))

cases = []
seen = set()
while len(cases) < N:
    p = expr(0)
    if p in seen: continue
    seen.add(p)
    cases.append({"pattern": p, "haystacks": [hay() for _ in range(6)]})
json.dump(cases, sys.stdout, ensure_ascii=False)
