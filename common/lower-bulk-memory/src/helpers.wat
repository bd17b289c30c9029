;; The two functions `lower-bulk-memory` adds to a module: memory.copy and memory.fill of memory 0
;; as plain wasm (no bulk-memory instructions), 8 bytes per load/store. Both have the instructions'
;; operands, (i32 dst, i32 src or value, i32 len) -> (), so a call replaces the instruction as is.
;; The bodies use only their own locals and memory 0 (no function, type or global index), so they
;; are copied into any module unchanged.
(module
  (memory 0)

  ;; memory.copy: $n bytes from $s to $d, overlapping or not.
  (func $memmove (param $d i32) (param $s i32) (param $n i32)
    (local $size i64) (local $i i32) (local $a i32)
    (local $x i64) (local $y i64) (local $z i64) (local $w i64) (local $v i64)
    ;; Trap where memory.copy traps, before writing anything: s+n or d+n past the end of memory
    ;; (in 64 bits: no wrap-around; n = 0 is valid up to the end itself).
    (local.set $size (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i32.or
          (i64.gt_u (i64.add (i64.extend_i32_u (local.get $s)) (i64.extend_i32_u (local.get $n)))
                    (local.get $size))
          (i64.gt_u (i64.add (i64.extend_i32_u (local.get $d)) (i64.extend_i32_u (local.get $n)))
                    (local.get $size)))
      (then (unreachable)))
    (if (i32.lt_u (local.get $n) (i32.const 16))
      (then
        ;; Under 16 bytes: a head and a tail piece (they may overlap each other), both loaded before
        ;; either is stored, which is right for any overlap of source and destination.
        (if (i32.ge_u (local.get $n) (i32.const 8))
          (then
            (local.set $x (i64.load (local.get $s)))
            (local.set $y (i64.load (i32.sub (i32.add (local.get $s) (local.get $n)) (i32.const 8))))
            (i64.store (local.get $d) (local.get $x))
            (i64.store (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 8)) (local.get $y))
            (return)))
        (if (i32.ge_u (local.get $n) (i32.const 4))
          (then
            (local.set $x (i64.load32_u (local.get $s)))
            (local.set $y (i64.load32_u (i32.sub (i32.add (local.get $s) (local.get $n)) (i32.const 4))))
            (i64.store32 (local.get $d) (local.get $x))
            (i64.store32 (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 4)) (local.get $y))
            (return)))
        (if (i32.ge_u (local.get $n) (i32.const 2))
          (then
            (local.set $x (i64.load16_u (local.get $s)))
            (local.set $y (i64.load16_u (i32.sub (i32.add (local.get $s) (local.get $n)) (i32.const 2))))
            (i64.store16 (local.get $d) (local.get $x))
            (i64.store16 (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 2)) (local.get $y))
            (return)))
        (if (local.get $n)
          (then (i32.store8 (local.get $d) (i32.load8_u (local.get $s)))))
        (return)))
    ;; 16 bytes or more. Forward when the destination starts below the source or past its end
    ;; (d - s >= n in u32 covers both): each store lands below every byte still to be loaded.
    (if (i32.ge_u (i32.sub (local.get $d) (local.get $s)) (local.get $n))
      (then
        ;; The last word, loaded before the loops can overwrite it, is stored last: it covers the
        ;; 1..8 bytes the whole words leave.
        (local.set $x (i64.load (i32.sub (i32.add (local.get $s) (local.get $n)) (i32.const 8))))
        ;; 32 bytes per iteration (four loads, then four stores) while 32 remain, then 8.
        (block $done32
          (loop $words32
            (br_if $done32 (i32.lt_u (i32.sub (local.get $n) (local.get $i)) (i32.const 32)))
            (local.set $a (i32.add (local.get $s) (local.get $i)))
            (local.set $y (i64.load (local.get $a)))
            (local.set $z (i64.load offset=8 (local.get $a)))
            (local.set $w (i64.load offset=16 (local.get $a)))
            (local.set $v (i64.load offset=24 (local.get $a)))
            (local.set $a (i32.add (local.get $d) (local.get $i)))
            (i64.store (local.get $a) (local.get $y))
            (i64.store offset=8 (local.get $a) (local.get $z))
            (i64.store offset=16 (local.get $a) (local.get $w))
            (i64.store offset=24 (local.get $a) (local.get $v))
            (local.set $i (i32.add (local.get $i) (i32.const 32)))
            (br $words32)))
        (block $done8
          (loop $words8
            (br_if $done8 (i32.le_u (i32.sub (local.get $n) (local.get $i)) (i32.const 8)))
            (i64.store (i32.add (local.get $d) (local.get $i))
                       (i64.load (i32.add (local.get $s) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $words8)))
        (i64.store (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 8)) (local.get $x))
        (return)))
    ;; Backward (the destination overlaps the source from above): from the end down, so each store
    ;; lands above every byte still to be loaded; the first word, loaded first, is stored last.
    (local.set $x (i64.load (local.get $s)))
    (local.set $i (local.get $n))
    (block $done32
      (loop $words32
        (br_if $done32 (i32.lt_u (local.get $i) (i32.const 32)))
        (local.set $i (i32.sub (local.get $i) (i32.const 32)))
        (local.set $a (i32.add (local.get $s) (local.get $i)))
        (local.set $y (i64.load (local.get $a)))
        (local.set $z (i64.load offset=8 (local.get $a)))
        (local.set $w (i64.load offset=16 (local.get $a)))
        (local.set $v (i64.load offset=24 (local.get $a)))
        (local.set $a (i32.add (local.get $d) (local.get $i)))
        (i64.store (local.get $a) (local.get $y))
        (i64.store offset=8 (local.get $a) (local.get $z))
        (i64.store offset=16 (local.get $a) (local.get $w))
        (i64.store offset=24 (local.get $a) (local.get $v))
        (br $words32)))
    (block $done8
      (loop $words8
        (br_if $done8 (i32.le_u (local.get $i) (i32.const 8)))
        (local.set $i (i32.sub (local.get $i) (i32.const 8)))
        (i64.store (i32.add (local.get $d) (local.get $i))
                   (i64.load (i32.add (local.get $s) (local.get $i))))
        (br $words8)))
    (i64.store (local.get $d) (local.get $x)))

  ;; memory.fill: $n bytes at $d set to the low byte of $v.
  (func $memset (param $d i32) (param $v i32) (param $n i32)
    (local $x i64) (local $i i32) (local $a i32)
    (if (i64.gt_u (i64.add (i64.extend_i32_u (local.get $d)) (i64.extend_i32_u (local.get $n)))
                  (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then (unreachable)))
    (local.set $x (i64.mul (i64.extend_i32_u (i32.and (local.get $v) (i32.const 255)))
                           (i64.const 0x0101010101010101)))
    (if (i32.lt_u (local.get $n) (i32.const 16))
      (then
        (if (i32.ge_u (local.get $n) (i32.const 8))
          (then
            (i64.store (local.get $d) (local.get $x))
            (i64.store (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 8)) (local.get $x))
            (return)))
        (if (i32.ge_u (local.get $n) (i32.const 4))
          (then
            (i64.store32 (local.get $d) (local.get $x))
            (i64.store32 (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 4)) (local.get $x))
            (return)))
        (if (i32.ge_u (local.get $n) (i32.const 2))
          (then
            (i64.store16 (local.get $d) (local.get $x))
            (i64.store16 (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 2)) (local.get $x))
            (return)))
        (if (local.get $n)
          (then (i64.store8 (local.get $d) (local.get $x))))
        (return)))
    ;; 32 bytes per iteration while 32 remain, then 8; the last word covers the rest.
    (block $done32
      (loop $words32
        (br_if $done32 (i32.lt_u (i32.sub (local.get $n) (local.get $i)) (i32.const 32)))
        (local.set $a (i32.add (local.get $d) (local.get $i)))
        (i64.store (local.get $a) (local.get $x))
        (i64.store offset=8 (local.get $a) (local.get $x))
        (i64.store offset=16 (local.get $a) (local.get $x))
        (i64.store offset=24 (local.get $a) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $words32)))
    (block $done8
      (loop $words8
        (br_if $done8 (i32.le_u (i32.sub (local.get $n) (local.get $i)) (i32.const 8)))
        (i64.store (i32.add (local.get $d) (local.get $i)) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $words8)))
    (i64.store (i32.sub (i32.add (local.get $d) (local.get $n)) (i32.const 8)) (local.get $x))))
