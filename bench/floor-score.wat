;; Bench fixture: the floor of a scoring plugin with no SDK. `prefilter` and `prescore` return
;; Success without a host call; `filter` and `score` each make exactly one host call,
;; k8s.io/scheduler.currentNodeName, then `filter` returns Success and `score` returns score 50
;; (the high 32 bits) with Success (the low 32 bits). The per-Score floor next to fleet_score.
(module
  (import "k8s.io/scheduler" "currentNodeName" (func $current_node_name (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "prefilter") (result i32) (i32.const 0))
  (func (export "filter") (result i32)
    (drop (call $current_node_name (i32.const 1024) (i32.const 256)))
    (i32.const 0))
  (func (export "prescore") (result i32) (i32.const 0))
  (func (export "score") (result i64)
    (drop (call $current_node_name (i32.const 1024) (i32.const 256)))
    (i64.shl (i64.const 50) (i64.const 32))))
