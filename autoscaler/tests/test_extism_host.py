"""The autoscaler plugin in a real Extism host (the Python `extism` package bundles the runtime).

Run through autoscaler/tests/run.sh, which builds the module and sets AUTOSCALER_WASM.
"""

import json
import os
import unittest

import extism

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WASM = os.environ.get(
    "AUTOSCALER_WASM",
    os.path.join(ROOT, "target", "wasm32-wasip1", "release", "autoscaler.wasm"),
)
VECTORS = os.path.join(ROOT, "autoscaling", "tests", "data", "vectors.json")

SEED = {
    "request": {
        "uid": "sample-uid",
        "name": "sample-fleet",
        "namespace": "default",
        "status": {"replicas": 5, "readyReplicas": 3, "reservedReplicas": 1, "allocatedReplicas": 2},
    }
}


def load_module():
    with open(WASM, "rb") as f:
        return f.read()


MODULE = load_module()


def plugin(config=None):
    # Agones creates its plugin with WASI enabled (EnableWasi: true); so do we.
    return extism.Plugin(MODULE, wasi=True, config=config or {})


def call(p, fn, review):
    data = review if isinstance(review, (bytes, str)) else json.dumps(review)
    out = p.call(fn, data)
    return json.loads(bytes(out))


def host_review(fleet, uid="u-1"):
    """The review Agones' host sends for a fleet (metadata gate on: labels/annotations)."""
    req = {
        "uid": uid,
        "name": fleet.get("name", ""),
        "namespace": fleet.get("namespace", ""),
        "status": fleet.get("status", {}),
    }
    if fleet.get("labels"):
        req["labels"] = fleet["labels"]
    if fleet.get("annotations"):
        req["annotations"] = fleet["annotations"]
    return {"request": req, "response": None}


def host_rule(review_out, fleet):
    """Agones: scale -> response.replicas, else the fleet's status replicas."""
    r = review_out["response"]
    return r["replicas"] if r["scale"] else fleet["status"]["replicas"]


def vectors(kind):
    with open(VECTORS) as f:
        return [v for v in json.load(f) if v["kind"] == kind]


class SizeTest(unittest.TestCase):
    def test_module_size(self):
        size = len(MODULE)
        print(f"\nautoscaler.wasm: {size} bytes ({size / 1024:.1f} KiB)")
        self.assertLess(size, 600 * 1024)


class SeedExampleTest(unittest.TestCase):
    def test_default_buffer(self):
        out = call(plugin(), "scale", SEED)
        self.assertEqual(out["response"], {"uid": "sample-uid", "scale": True, "replicas": 7})
        self.assertEqual(out["request"]["uid"], "sample-uid")

    def test_buffer_size_10(self):
        out = call(plugin({"buffer_size": "10"}), "scale", SEED)
        self.assertEqual(out["response"], {"uid": "sample-uid", "scale": True, "replicas": 12})

    def test_scale_none(self):
        out = call(plugin(), "scaleNone", SEED)
        self.assertEqual(out["response"], {"uid": "sample-uid", "scale": False, "replicas": 5})

    def test_no_change_leaves_replicas_zero(self):
        out = call(plugin({"buffer_size": "3"}), "scale", SEED)
        self.assertEqual(out["response"], {"uid": "sample-uid", "scale": False, "replicas": 0})

    def test_negative_buffer_size_accepted_like_go(self):
        out = call(plugin({"buffer_size": "-1"}), "scale", SEED)
        self.assertEqual(out["response"], {"uid": "sample-uid", "scale": True, "replicas": 1})


class PluginVectorsTest(unittest.TestCase):
    def test_wasm_plugin_vectors(self):
        vs = vectors("agones.wasm.plugin")
        self.assertTrue(vs)
        for v in vs:
            with self.subTest(v["id"]):
                wasm = v["policy"]["wasm"]
                p = plugin(wasm.get("config"))
                out = call(p, wasm.get("function", "scale"), v["status"]["plugin_input"])
                self.assertEqual(out["response"], v["expected"]["plugin_response"])

    def test_agones_wasm_vectors(self):
        vs = vectors("agones.wasm")
        self.assertTrue(vs)
        for v in vs:
            with self.subTest(v["id"]):
                wasm = v["policy"]["wasm"]
                fleet = v["status"]["fleet"]
                out = call(plugin(wasm.get("config")), wasm.get("function", "scale"), host_review(fleet))
                want = v["expected"]["plugin_response"]
                self.assertEqual(out["response"]["scale"], want["scale"])
                self.assertEqual(out["response"]["replicas"], want["replicas"])
                self.assertEqual(host_rule(out, fleet), v["expected"]["replicas"])

    def test_buffer_vectors_through_policy_config(self):
        vs = vectors("agones.buffer") + vectors("agones.buffer+controller")
        self.assertTrue(vs)
        for v in vs:
            with self.subTest(v["id"]):
                fleet = v["status"]["fleet"]
                p = plugin({"policy": json.dumps(v["policy"])})
                err = v["expected"]["error"]
                if err:
                    with self.assertRaises(extism.Error) as ctx:
                        call(p, "scale", host_review(fleet))
                    self.assertEqual(str(ctx.exception), err)
                else:
                    out = call(p, "scale", host_review(fleet))
                    self.assertEqual(out["response"]["uid"], "u-1")
                    self.assertEqual(host_rule(out, fleet), v["expected"]["replicas"])
                    self.assertEqual(
                        out["response"]["scale"], v["expected"]["replicas"] != fleet["status"]["replicas"]
                    )


def smooth_reference(calls, buffer_size=5, lo=1, hi=100):
    """CappedSmoothRatio (alpha 0.3, +50%/-25%, tol 0.1) on (allocated + buffer) / replicas."""
    s = None
    out = []
    for replicas, allocated in calls:
        target = allocated + buffer_size
        if replicas == 0:
            out.append(min(max(target, lo), hi))
            continue
        m = max(1.0, target / replicas)
        s = m if s is None else 0.3 * m + (1 - 0.3) * s
        if 0.9 <= s <= 1.1:
            out.append(replicas)
            continue
        capped = min(replicas * s, replicas + replicas * 0.5) if s > 1 else max(replicas * s, replicas - replicas * 0.25)
        import math

        out.append(min(max(math.ceil(capped), lo), hi))
    return out


class SmoothedTest(unittest.TestCase):
    CALLS = [(10, 5), (10, 15), (14, 15), (16, 15), (20, 15), (20, 15), (20, 15), (0, 3)]

    def test_sequence_keeps_state(self):
        p = plugin({"buffer_size": "5", "min_replicas": "1", "max_replicas": "100"})
        got = []
        for replicas, allocated in self.CALLS:
            review = {"request": {"uid": "s", "name": "f", "namespace": "ns",
                                  "status": {"replicas": replicas, "allocatedReplicas": allocated}}}
            out = call(p, "scaleSmoothed", review)
            got.append(out["response"]["replicas"])
            self.assertEqual(out["response"]["scale"], out["response"]["replicas"] != replicas)
        self.assertEqual(got, smooth_reference(self.CALLS))
        print(f"\nscaleSmoothed sequence {self.CALLS} -> {got}")

    def test_fresh_instance_has_fresh_state(self):
        review = {"request": {"uid": "s", "name": "f", "namespace": "ns",
                              "status": {"replicas": 14, "allocatedReplicas": 15}}}
        first = call(plugin(), "scaleSmoothed", review)["response"]["replicas"]
        self.assertEqual(first, smooth_reference([(14, 15)])[0])


class BadInputTest(unittest.TestCase):
    CASES = [
        ("scale", b"not json", {}, "Failed to decode FleetAutoscaleReview: invalid character 'o' in literal null (expecting 'u')"),
        ("scale", b"", {}, "Failed to decode FleetAutoscaleReview: unexpected end of JSON input"),
        ("scale", b"{}", {}, "FleetAutoscaleReview Request is nil"),
        ("scaleNone", b'{"response":null}', {}, "FleetAutoscaleReview Request is nil"),
        ("scale", b'{"request":{"status":{"replicas":-1}}}', {}, "FleetAutoscaleReview status.replicas is negative (-1)"),
        ("scaleSmoothed", b'{"request":{"status":{"allocatedReplicas":-3}}}', {},
         "FleetAutoscaleReview status.allocatedReplicas is negative (-3)"),
        ("scale", json.dumps(SEED).encode(), {"buffer_size": "abc"},
         'Failed to convert buffer_size to int32: strconv.Atoi: parsing "abc": invalid syntax'),
        ("scale", json.dumps(SEED).encode(), {"buffer_size": " 5"},
         'Failed to convert buffer_size to int32: strconv.Atoi: parsing " 5": invalid syntax'),
        ("scale", json.dumps(SEED).encode(), {"policy": '{"type":"Webhook"}'},
         'invalid policy config: type "Webhook" is not supported here (Buffer, Counter or List)'),
        ("scaleSmoothed", json.dumps(SEED).encode(), {"max_replicas": "lots"},
         'config max_replicas must be an int32, got "lots"'),
    ]

    def test_errors_are_extism_errors_not_traps(self):
        for fn, data, config, message in self.CASES:
            with self.subTest(fn=fn, data=data, config=config):
                p = plugin(config)
                with self.assertRaises(extism.Error) as ctx:
                    p.call(fn, data)
                self.assertEqual(str(ctx.exception), message)
                # The instance is still usable afterwards (an error is not a trap).
                out = call(p, "scaleNone", SEED)
                self.assertEqual(out["response"]["replicas"], 5)

    def test_bad_policy_json(self):
        p = plugin({"policy": "{not json"})
        with self.assertRaises(extism.Error) as ctx:
            p.call("scale", json.dumps(SEED))
        self.assertTrue(str(ctx.exception).startswith("invalid policy config: not an Agones policy"))

    def test_deep_nesting_is_refused_within_the_stack(self):
        p = plugin()
        with self.assertRaises(extism.Error) as ctx:
            p.call("scale", "[" * 5000 + "]" * 5000)
        self.assertIn("nested deeper", str(ctx.exception))
        deep_ok = {"request": {"uid": "d", "status": {"replicas": 1}, "labels": {"a": "b"}}, "x": [[[[[[[[1]]]]]]]]}
        self.assertEqual(call(p, "scale", deep_ok)["response"]["replicas"], 5)

    def test_huge_numbers_do_not_trap(self):
        p = plugin({"buffer_size": "2147483647"})
        review = {"request": {"status": {"replicas": 1, "allocatedReplicas": 2147483647}}}
        out = call(p, "scale", review)
        self.assertEqual(out["response"]["replicas"], -2)  # Go's int32 wraps; so does the example
        with self.assertRaises(extism.Error):
            p.call("scale", '{"request":{"status":{"replicas":99999999999}}}')


if __name__ == "__main__":
    unittest.main(verbosity=2)
