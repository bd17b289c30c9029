# Patterns near Go's limits: nesting depth (with alternation factoring) and program size.
# python3 limit_cases.py N SEED > cases.json
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
N = int(sys.argv[1])
def lit(k): return "".join(rnd.choice("abc") for _ in range(k))
def alt():
    items = []
    for _ in range(rnd.randint(2, 10)):
        r = rnd.random()
        if r < 0.55: items.append(lit(rnd.randint(0, 4)))
        elif r < 0.7: items.append(rnd.choice(["[ab]", "[ab]{2}", "a{2}", ".", "(?s:.)", "[^a]", "\\pL", "(?i)a", "(?i:b)c"]) + lit(rnd.randint(0, 2)))
        elif r < 0.8: items.append("(?:" + alt() + ")" if rnd.random() < 0.5 else "(" + alt() + ")")
        else: items.append(lit(rnd.randint(1, 3)) + rnd.choice(["*", "+", "?", "{2}", "{1,2}"]))
    return "|".join(items)
cases = []
for i in range(N):
    kind = rnd.random()
    if kind < 0.6:
        d = rnd.randint(975, 1000) if rnd.random() < 0.7 else rnd.randint(480, 505) * 2
        o = rnd.choice(["(", "(?:"])
        if rnd.random() < 0.5:
            p = o * d + alt() + ")" * d
        else:
            p = ("(?:x|" + lit(1)) * (d // 2) + alt() + ")" * (d // 2)
    elif kind < 0.85:
        n = rnd.choice([1000, 999, 500, 2])
        L = rnd.randint(3000, 3700) if n >= 999 else rnd.randint(1, 3000)
        body = lit(L) if rnd.random() < 0.5 else lit(L // 2) + "|" + lit(L // 2)
        p = "(?:" + body + "){" + str(n) + "}"
    else:
        reps = rnd.randint(2, 6)
        p = "".join("(?:" + alt() + "){" + str(rnd.choice([2, 3, 10, 100, 1000])) + "}" for _ in range(reps))
    if len(p) > 4096: continue
    cases.append({"pattern": p, "haystacks": [lit(rnd.randint(0, 6)) for _ in range(3)]})
json.dump(cases, sys.stdout)
