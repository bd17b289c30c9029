#!/usr/bin/env python3
"""Generates simulator/host/src/proto/schema.rs: the protobuf schema of v1.Pod, v1.Node and v1.NodeList.

Reads the Go struct definitions of k8s.io/api and k8s.io/apimachinery (the version the production
host links: v0.33.4) and writes one static table per reachable message. Field numbers come from the
`protobuf:"…"` struct tags, JSON names from the `json:"…"` tags, and the emission rule from the Go
type, which is what gogo's generated marshallers follow:

  * `T` (non-pointer scalar or struct)  -> Card::Always    (emitted even when empty)
  * `*T`                                -> Card::Optional  (emitted only when set)
  * `[]T`                               -> Card::Repeated  (one key per element)
  * `[]byte`                            -> Card::Optional  (emitted when non-nil)
  * `map[K]V`                           -> Card::Map       (entries sorted by key)
  * embedded `T` with `json:",inline"`  -> Card::Inline    (always emitted; its JSON fields sit in the parent)

With `--check` it also reads the gogo-generated `generated.pb.go` files and verifies that every
field's marshalling code is guarded exactly as the rule above says.

Usage (from a checkout of both repositories at v0.33.4):
  gen_schema.py core/v1/types.go meta/v1/types.go [--check core.pb.go meta.pb.go] > schema.rs
"""
import re
import sys

ROOTS = ["Pod", "Node", "NodeList"]
# Go types with a hand-written protobuf/JSON mapping (see encode.rs).
SPECIAL = {
    "metav1.Time": "Time",
    "metav1.MicroTime": "MicroTime",
    "resource.Quantity": "Quantity",
    "intstr.IntOrString": "IntOrString",
}
SCALARS = {"string": "Str", "bool": "Bool", "int32": "Int32", "int64": "Int64",
           "types.UID": "Str", "metav1.CauseType": "Str"}
# Dropped on purpose: kube-scheduler's informers strip managedFields (see RATIONALE.md).
SKIP = {("ObjectMeta", "managedFields")}


def parse(src, pkg):
    structs, aliases = {}, {}
    lines = src.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^type (\w+) struct \{\s*$", line)
        if m:
            name, fields = m.group(1), []
            i += 1
            while lines[i] != "}":
                f = lines[i].split("//")[0].rstrip() if not re.search(r'`[^`]*//', lines[i]) else lines[i]
                fm = re.match(r"^\s*(\w+)\s+(\S+)\s+`([^`]*)`", f) or None
                em = re.match(r"^\s*([\w\.]+)\s+`([^`]*)`", f)
                if fm:
                    fields.append((fm.group(1), fm.group(2), fm.group(3)))
                elif em:
                    fields.append((em.group(1).split(".")[-1], em.group(1), em.group(2)))
                i += 1
            structs[name] = fields
        m = re.match(r"^type (\w+) (map\[\S+\]\S+|\[\]\w+|\w+)\s*$", line)
        if m:
            aliases[m.group(1)] = m.group(2)
        i += 1
    return structs, aliases


def tag(tags, key):
    m = re.search(key + r':"([^"]*)"', tags)
    return m.group(1) if m else None


class Gen:
    def __init__(self, core, meta):
        self.pkgs = {"": core, "metav1": meta}
        self.out, self.seen, self.queue = [], {}, []

    def lookup(self, pkg, name):
        structs, aliases = self.pkgs[pkg]
        return structs.get(name), aliases.get(name)

    def static(self, pkg, name):
        key = (pkg, name)
        if key not in self.seen:
            snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).upper()
            self.seen[key] = ("META_" if pkg else "") + snake
            self.queue.append(key)
        return self.seen[key]

    def ty(self, pkg, t):
        """Returns (card, ty) for a Go type string as written in package pkg."""
        card = "Always"
        if t.startswith("*"):
            card, t = "Optional", t[1:]
        if t == "[]byte":
            return "Optional", "Bytes"
        if t.startswith("[]"):
            inner = self.ty(pkg, t[2:])[1]
            return "Repeated", inner
        if t.startswith("map["):
            v = t[t.index("]") + 1:]
            return "Map", self.ty(pkg, v)[1]
        full = t if "." in t or not pkg else pkg + "." + t
        if full in SPECIAL:
            return card, SPECIAL[full]
        if t in SCALARS:
            return card, SCALARS[t]
        p, n = (t.split(".") if "." in t else (pkg, t))
        if p not in self.pkgs:
            raise SystemExit("unknown package in " + t)
        struct, alias = self.lookup(p, n)
        if struct is not None:
            return card, "Msg(&%s)" % self.static(p, n)
        if alias is not None:
            c2, ty = self.ty(p, alias)
            return (c2 if c2 != "Always" else card), ty
        raise SystemExit("unknown type " + t)

    def run(self):
        for r in ROOTS:
            self.static("", r)
        done = set()
        rows = {}
        while self.queue:
            pkg, name = self.queue.pop(0)
            if (pkg, name) in done:
                continue
            done.add((pkg, name))
            struct, _ = self.lookup(pkg, name)
            fields = []
            for goname, gotype, tags in struct:
                pb = tag(tags, "protobuf")
                js = tag(tags, "json")
                if not pb or pb == "-" or js is None or js.startswith("-"):
                    continue
                parts = pb.split(",")
                num = int(parts[1])
                jname = js.split(",")[0] or goname
                if (name, jname) in SKIP:
                    continue
                card, ty = self.ty(pkg, gotype)
                if js.startswith(",inline"):
                    # Embedded struct: flattened in JSON, a nested message in protobuf.
                    assert card == "Always", name
                    card, jname = "Inline", ""
                fields.append((num, jname, card, ty, goname))
            fields.sort()
            rows[(pkg, name)] = fields
        return rows


def check(rows, gen, pbsrcs):
    bad = 0
    for (pkg, name), fields in rows.items():
        src = pbsrcs[pkg]
        m = re.search(r"func \(m \*%s\) MarshalToSizedBuffer\(dAtA \[\]byte\) \(int, error\) \{\n(.*?)\n\}\n" % name, src, re.S)
        if not m:
            print("no marshaller for", name, file=sys.stderr)
            bad += 1
            continue
        body = m.group(1)
        for num, jname, card, ty, goname in fields:
            ref = "m." + goname
            if re.search(r"keysFor%s\b" % goname, body):
                got = "Map"
            elif re.search(r"for iNdEx := len\(%s\) - 1" % re.escape(ref), body):
                got = "Repeated"
            elif re.search(r"if %s != nil \{" % re.escape(ref), body):
                got = "Optional"
            elif ref + "." in body or ref + ")" in body or ("if %s {" % ref) in body:
                got = "Always"
            else:
                got = "?"
            if got != card and not (card == "Inline" and got == "Always"):
                print("MISMATCH %s.%s (%s): schema %s, marshaller %s" % (name, jname, goname, card, got), file=sys.stderr)
                bad += 1
    print("checked %d messages, %d problems" % (len(rows), bad), file=sys.stderr)
    return bad


def main():
    args = sys.argv[1:]
    core = parse(open(args[0]).read(), "")
    meta = parse(open(args[1]).read(), "metav1")
    gen = Gen(core, meta)
    rows = gen.run()
    if len(args) > 2 and args[2] == "--check":
        pbs = {"": open(args[3]).read(), "metav1": open(args[4]).read()}
        if check(rows, gen, pbs):
            sys.exit(1)
    print("// @generated by simulator/host/tools/gen_schema.py from k8s.io/api and k8s.io/apimachinery v0.33.4")
    print("// struct tags. Do not edit by hand: fix the generator and run it again.")
    print("//")
    print("// One table per protobuf message reachable from v1.Pod, v1.Node and v1.NodeList, fields in")
    print("// ascending field-number order. See tools/gen_schema.py for the emission rules.")
    print()
    print("use super::schema_types::{Card, Field, Msg, Ty};")
    print()
    for (pkg, name), fields in sorted(rows.items(), key=lambda kv: gen.seen[kv[0]]):
        st = gen.seen[(pkg, name)]
        vis = "pub(crate) " if pkg == "" and name in ROOTS else ""
        print("%sstatic %s: Msg = Msg {" % (vis, st))
        print('    name: "%s",' % name)
        print("    fields: &[")
        for num, jname, card, ty, goname in fields:
            print('        Field { json: "%s", num: %d, card: Card::%s, ty: Ty::%s },' % (jname, num, card, ty))
        print("    ],")
        print("};")
    print()


main()
