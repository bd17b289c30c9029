;; Bench fixture: the floor of a Filter call with no SDK at all. `filter` makes exactly one host
;; call, k8s.io/scheduler.currentNodeName (the name lands in a 256-byte buffer at offset 1024),
;; and returns 0 (Success). Compare with bench/floor-guest, the same through the Rust SDK.
(module
  (import "k8s.io/scheduler" "currentNodeName" (func $current_node_name (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "filter") (result i32)
    (drop (call $current_node_name (i32.const 1024) (i32.const 256)))
    (i32.const 0)))
