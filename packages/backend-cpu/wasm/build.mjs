// Builds the CPU backend's WebAssembly kernels from source.
//
//   node wasm/build.mjs          writes src/wasm/kernels.wat (readable text) and
//                                src/wasm/kernels-bytes.ts (the assembled modules, base64)
//   node wasm/build.mjs --check  exits 1 if those files differ from a fresh build
//
// The source is this file: it writes WebAssembly text (WAT) with the register tiles unrolled,
// and wabt (npm `wabt`, a devDependency) assembles it. Two modules come out of the one text:
// `simd` (plain 128-bit SIMD: multiply, then add) and `relaxed` (the same with
// f32x4.relaxed_madd, which engines may fuse). wabt's output is deterministic, so the build
// is reproducible; a test rebuilds and compares (src/wasm/wasm-build.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, '..', 'src', 'wasm');

/**
 * Micro-tile: MR rows of A × NR columns of B (NR/4 vectors): 8 accumulators + 2 B + 1 A.
 * Measured on this repository's 2-core EPYC VM (one thread, 120×1024×256 blocks in memory):
 * 4×8 47 GFLOP/s, 2×16 46, 3×8 44, 6×8 28, 8×8 25, 5×8 22, 4×12 26, 3×12 21 — the tiles that
 * need 13 or more vector registers spill in V8's register allocator.
 */
export const MR = 4;
export const NR = 8;

const lines = (...xs) => xs.flat(Infinity).join('\n');
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** acc ← acc + a·b, with a and b already on the stack; MADD is replaced per module variant. */
const madd = (acc) => [`MADD ${acc}`];

/**
 * gemm_block(pa, pb, c, mc, nc, kc, ldc): C[mc × nc] += Apanel · Bpanel on packed micro-panels
 * (byte addresses; mc a multiple of MR, nc of NR, ldc in elements). pa holds MR-row panels
 * pa[ir·kc + p·MR + r]; pb holds NR-column panels pb[jr·kc + p·NR + s]. For each NR-wide panel
 * of B (kept in L1 across the rows) the MR-row panels of A are swept, each step loading NR
 * values of B and broadcasting MR values of A into MR·NR/4 f32x4 accumulators.
 */
function gemmBlock() {
  const vecs = NR / 4;
  const acc = (r, v) => `$c${r}_${v}`;
  const locals = range(MR).flatMap((r) => range(vecs).map((v) => `(local ${acc(r, v)} v128)`));
  const zero = range(MR).flatMap((r) => range(vecs).flatMap((v) => [`v128.const i32x4 0 0 0 0`, `local.set ${acc(r, v)}`]));
  const step = [
    ...range(vecs).flatMap((v) => [`local.get $b`, `v128.load offset=${16 * v}`, `local.set $b${v}`]),
    ...range(MR).flatMap((r) => [
      `local.get $a`,
      `v128.load32_splat offset=${4 * r}`,
      `local.set $av`,
      ...range(vecs).flatMap((v) => [`local.get $av`, `local.get $b${v}`, ...madd(acc(r, v))]),
    ]),
  ];
  const store = range(MR).flatMap((r) => [
    ...range(vecs).flatMap((v) => [
      `local.get $ct`,
      `local.get $ct`,
      `v128.load offset=${16 * v}`,
      `local.get ${acc(r, v)}`,
      `f32x4.add`,
      `v128.store offset=${16 * v}`,
    ]),
    `local.get $ct`, `local.get $ldcb`, `i32.add`, `local.set $ct`,
  ]);
  return lines(
    `  (func $gemm_block (export "gemm_block") (param $pa i32) (param $pb i32) (param $c i32) (param $mc i32) (param $nc i32) (param $kc i32) (param $ldc i32)`,
    `    (local $jr i32) (local $ir i32) (local $a i32) (local $b i32) (local $aend i32) (local $ct i32) (local $ldcb i32)`,
    `    (local $bpanel i32) (local $apanel i32) (local $av v128) ${range(vecs).map((v) => `(local $b${v} v128)`).join(' ')}`,
    `    ${locals.join(' ')}`,
    `    ;; ldc in bytes; an A panel is MR·kc floats, a B panel NR·kc floats`,
    `    local.get $ldc`, `i32.const 2`, `i32.shl`, `local.set $ldcb`,
    `    local.get $kc`, `i32.const ${MR * 4}`, `i32.mul`, `local.set $apanel`,
    `    local.get $kc`, `i32.const ${NR * 4}`, `i32.mul`, `local.set $bpanel`,
    `    i32.const 0`, `local.set $jr`,
    `    block $cols_done`,
    `    loop $cols`,
    `      local.get $jr`, `local.get $nc`, `i32.ge_u`, `br_if $cols_done`,
    `      i32.const 0`, `local.set $ir`,
    `      block $rows_done`,
    `      loop $rows`,
    `        local.get $ir`, `local.get $mc`, `i32.ge_u`, `br_if $rows_done`,
    `        ;; a = pa + (ir/MR)·apanel, b = pb + (jr/NR)·bpanel`,
    `        local.get $pa`, `local.get $ir`, `i32.const ${MR}`, `i32.div_u`, `local.get $apanel`, `i32.mul`, `i32.add`, `local.tee $a`,
    `        local.get $apanel`, `i32.add`, `local.set $aend`,
    `        local.get $pb`, `local.get $jr`, `i32.const ${NR}`, `i32.div_u`, `local.get $bpanel`, `i32.mul`, `i32.add`, `local.set $b`,
    ...zero.map((l) => `        ${l}`),
    `        loop $k`,
    ...step.map((l) => `          ${l}`),
    `          local.get $a`, `i32.const ${MR * 4}`, `i32.add`, `local.set $a`,
    `          local.get $b`, `i32.const ${NR * 4}`, `i32.add`, `local.set $b`,
    `          local.get $a`, `local.get $aend`, `i32.lt_u`, `br_if $k`,
    `        end`,
    `        ;; C tile += accumulators`,
    `        local.get $c`, `local.get $ir`, `local.get $ldc`, `i32.mul`, `local.get $jr`, `i32.add`, `i32.const 2`, `i32.shl`, `i32.add`, `local.set $ct`,
    ...store.map((l) => `        ${l}`),
    `        local.get $ir`, `i32.const ${MR}`, `i32.add`, `local.set $ir`,
    `        br $rows`,
    `      end`,
    `      end`,
    `      local.get $jr`, `i32.const ${NR}`, `i32.add`, `local.set $jr`,
    `      br $cols`,
    `    end`,
    `    end`,
    `  )`,
  );
}

// Byte-lane patterns of i8x16.shuffle for a 4×4 transpose of f32 lanes (second operand: lanes 4–7).
const lanes = (...ls) => ls.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]).join(' ');
const LO_PAIRS = lanes(0, 4, 1, 5); // x0 y0 x1 y1
const HI_PAIRS = lanes(2, 6, 3, 7); // x2 y2 x3 y3
const LO_HALVES = lanes(0, 1, 4, 5); // x0 x1 y0 y1
const HI_HALVES = lanes(2, 3, 6, 7); // x2 x3 y2 y3

/**
 * Folded-WAT statements that transpose the 4×4 block in locals $r{o}…$r{o+3} (row vectors) and
 * store its columns, times $va, at $d + at(q) for column q. Uses $t0–$t3.
 */
function transposeStore(o, at, scale) {
  const mul = (x) => (scale ? `(f32x4.mul ${x} (local.get $va))` : x);
  return [
    `(local.set $t0 (i8x16.shuffle ${LO_PAIRS} (local.get $r${o}) (local.get $r${o + 1})))`,
    `(local.set $t1 (i8x16.shuffle ${HI_PAIRS} (local.get $r${o}) (local.get $r${o + 1})))`,
    `(local.set $t2 (i8x16.shuffle ${LO_PAIRS} (local.get $r${o + 2}) (local.get $r${o + 3})))`,
    `(local.set $t3 (i8x16.shuffle ${HI_PAIRS} (local.get $r${o + 2}) (local.get $r${o + 3})))`,
    `(v128.store offset=${at(0)} (local.get $d) ${mul(`(i8x16.shuffle ${LO_HALVES} (local.get $t0) (local.get $t2))`)})`,
    `(v128.store offset=${at(1)} (local.get $d) ${mul(`(i8x16.shuffle ${HI_HALVES} (local.get $t0) (local.get $t2))`)})`,
    `(v128.store offset=${at(2)} (local.get $d) ${mul(`(i8x16.shuffle ${LO_HALVES} (local.get $t1) (local.get $t3))`)})`,
    `(v128.store offset=${at(3)} (local.get $d) ${mul(`(i8x16.shuffle ${HI_HALVES} (local.get $t1) (local.get $t3))`)})`,
  ];
}

const TEMPS = `(local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)`;
const ROWS = (n) => range(n).map((i) => `(local $r${i} v128)`).join(' ');
/** (local.get $s) + t·$ld bytes, for the row t of a block. */
const rowAt = (t) => (t === 0 ? `(local.get $s)` : t === 1 ? `(i32.add (local.get $s) (local.get $ld))` : `(i32.add (local.get $s) (i32.mul (local.get $ld) (i32.const ${t})))`);

/**
 * pack_a(src, lda, trans, rows, kc, alpha, dst): α·op(A) for a rows×kc block into MR-row panels
 * dst[ir·kc + p·4 + r], zero past `rows` (to a multiple of 4). src is the byte address of the
 * block's op(A)[0, 0]; lda in elements. Untransposed rows are read 4 columns at a time and
 * transposed in registers; transposed A has each panel's 4 values adjacent already.
 */
function packA() {
  return lines(
    `  (func $pack_a (export "pack_a") (param $src i32) (param $lda i32) (param $trans i32) (param $rows i32) (param $kc i32) (param $alpha f32) (param $dst i32)`,
    `    (local $ir i32) (local $p i32) (local $r i32) (local $s i32) (local $d i32) (local $ld i32) (local $va v128) (local $x f32)`,
    `    ${ROWS(4)} ${TEMPS}`,
    `    (local.set $va (f32x4.splat (local.get $alpha)))`,
    `    (local.set $ld (i32.shl (local.get $lda) (i32.const 2)))`,
    `    (block $done (loop $panels`,
    `      (br_if $done (i32.ge_u (local.get $ir) (local.get $rows)))`,
    `      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2))))`,
    `      (local.set $p (i32.const 0))`,
    `      (if (i32.le_u (i32.add (local.get $ir) (i32.const 4)) (local.get $rows))`,
    `        (then (if (local.get $trans)`,
    `          (then`,
    `            ;; op(A)[ir + r][p] = A[p][ir + r]`,
    `            (local.set $s (i32.add (local.get $src) (i32.shl (local.get $ir) (i32.const 2))))`,
    `            (block $pd (loop $pl`,
    `              (br_if $pd (i32.ge_u (local.get $p) (local.get $kc)))`,
    `              (v128.store (local.get $d) (f32x4.mul (v128.load (local.get $s)) (local.get $va)))`,
    `              (local.set $s (i32.add (local.get $s) (local.get $ld)))`,
    `              (local.set $d (i32.add (local.get $d) (i32.const 16)))`,
    `              (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `              (br $pl))))`,
    `          (else`,
    `            ;; four rows of A, four columns at a time, transposed in registers`,
    `            (local.set $s (i32.add (local.get $src) (i32.mul (local.get $ir) (local.get $ld))))`,
    `            (block $pd (loop $pl`,
    `              (br_if $pd (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))`,
    ...range(4).map((t) => `              (local.set $r${t} (v128.load ${rowAt(t)}))`),
    ...transposeStore(0, (q) => 16 * q, true).map((l) => `              ${l}`),
    `              (local.set $s (i32.add (local.get $s) (i32.const 16)))`,
    `              (local.set $d (i32.add (local.get $d) (i32.const 64)))`,
    `              (local.set $p (i32.add (local.get $p) (i32.const 4)))`,
    `              (br $pl)))`,
    `            (block $td (loop $tl`,
    `              (br_if $td (i32.ge_u (local.get $p) (local.get $kc)))`,
    ...range(4).map((t) => `              (f32.store offset=${4 * t} (local.get $d) (f32.mul (f32.load ${rowAt(t)}) (local.get $alpha)))`),
    `              (local.set $s (i32.add (local.get $s) (i32.const 4)))`,
    `              (local.set $d (i32.add (local.get $d) (i32.const 16)))`,
    `              (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `              (br $tl))))))`,
    `        (else`,
    `          ;; the last panel, with fewer than 4 rows: one value at a time, zeros past rows`,
    `          (block $pd (loop $pl`,
    `            (br_if $pd (i32.ge_u (local.get $p) (local.get $kc)))`,
    `            (local.set $r (i32.const 0))`,
    `            (block $rd (loop $rl`,
    `              (br_if $rd (i32.ge_u (local.get $r) (i32.const 4)))`,
    `              (local.set $x (f32.const 0))`,
    `              (if (i32.lt_u (i32.add (local.get $ir) (local.get $r)) (local.get $rows))`,
    `                (then (local.set $x (f32.mul (local.get $alpha) (f32.load (i32.add (local.get $src) (i32.shl`,
    `                  (if (result i32) (local.get $trans)`,
    `                    (then (i32.add (i32.mul (local.get $p) (local.get $lda)) (i32.add (local.get $ir) (local.get $r))))`,
    `                    (else (i32.add (i32.mul (i32.add (local.get $ir) (local.get $r)) (local.get $lda)) (local.get $p))))`,
    `                  (i32.const 2))))))))`,
    `              (f32.store (i32.add (local.get $d) (i32.shl (local.get $r) (i32.const 2))) (local.get $x))`,
    `              (local.set $r (i32.add (local.get $r) (i32.const 1)))`,
    `              (br $rl)))`,
    `            (local.set $d (i32.add (local.get $d) (i32.const 16)))`,
    `            (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `            (br $pl)))))`,
    `      (local.set $ir (i32.add (local.get $ir) (i32.const 4)))`,
    `      (br $panels)))`,
    `  )`,
  );
}

/**
 * pack_b(src, ldb, trans, kc, nc, dst): op(B) for a kc×nc block into NR-column panels
 * dst[jr·kc + p·8 + s], zero past `nc` (to a multiple of 8). src is the byte address of the
 * block's op(B)[0, 0]; ldb in elements. Transposed B (rows of B are columns of op(B)) is read
 * from 8 rows, 4 values at a time, and transposed in registers as two 4×4 blocks.
 */
function packB() {
  return lines(
    `  (func $pack_b (export "pack_b") (param $src i32) (param $ldb i32) (param $trans i32) (param $kc i32) (param $nc i32) (param $dst i32)`,
    `    (local $jr i32) (local $p i32) (local $t i32) (local $s i32) (local $d i32) (local $ld i32) (local $x f32)`,
    `    ${ROWS(8)} ${TEMPS}`,
    `    (local.set $ld (i32.shl (local.get $ldb) (i32.const 2)))`,
    `    (block $done (loop $panels`,
    `      (br_if $done (i32.ge_u (local.get $jr) (local.get $nc)))`,
    `      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2))))`,
    `      (local.set $p (i32.const 0))`,
    `      (if (i32.le_u (i32.add (local.get $jr) (i32.const 8)) (local.get $nc))`,
    `        (then (if (i32.eqz (local.get $trans))`,
    `          (then`,
    `            ;; row p of B holds the panel's 8 values side by side`,
    `            (local.set $s (i32.add (local.get $src) (i32.shl (local.get $jr) (i32.const 2))))`,
    `            (block $pd (loop $pl`,
    `              (br_if $pd (i32.ge_u (local.get $p) (local.get $kc)))`,
    `              (v128.store (local.get $d) (v128.load (local.get $s)))`,
    `              (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $s)))`,
    `              (local.set $s (i32.add (local.get $s) (local.get $ld)))`,
    `              (local.set $d (i32.add (local.get $d) (i32.const 32)))`,
    `              (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `              (br $pl))))`,
    `          (else`,
    `            (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jr) (local.get $ld))))`,
    `            (block $pd (loop $pl`,
    `              (br_if $pd (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))`,
    ...range(8).map((t) => `              (local.set $r${t} (v128.load ${rowAt(t)}))`),
    ...transposeStore(0, (q) => 32 * q, false).map((l) => `              ${l}`),
    ...transposeStore(4, (q) => 32 * q + 16, false).map((l) => `              ${l}`),
    `              (local.set $s (i32.add (local.get $s) (i32.const 16)))`,
    `              (local.set $d (i32.add (local.get $d) (i32.const 128)))`,
    `              (local.set $p (i32.add (local.get $p) (i32.const 4)))`,
    `              (br $pl)))`,
    `            (block $td (loop $tl`,
    `              (br_if $td (i32.ge_u (local.get $p) (local.get $kc)))`,
    ...range(8).map((t) => `              (f32.store offset=${4 * t} (local.get $d) (f32.load ${rowAt(t)}))`),
    `              (local.set $s (i32.add (local.get $s) (i32.const 4)))`,
    `              (local.set $d (i32.add (local.get $d) (i32.const 32)))`,
    `              (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `              (br $tl))))))`,
    `        (else`,
    `          ;; the last panel, with fewer than 8 columns: one value at a time, zeros past nc`,
    `          (block $pd (loop $pl`,
    `            (br_if $pd (i32.ge_u (local.get $p) (local.get $kc)))`,
    `            (local.set $t (i32.const 0))`,
    `            (block $cd (loop $cl`,
    `              (br_if $cd (i32.ge_u (local.get $t) (i32.const 8)))`,
    `              (local.set $x (f32.const 0))`,
    `              (if (i32.lt_u (i32.add (local.get $jr) (local.get $t)) (local.get $nc))`,
    `                (then (local.set $x (f32.load (i32.add (local.get $src) (i32.shl`,
    `                  (if (result i32) (local.get $trans)`,
    `                    (then (i32.add (i32.mul (i32.add (local.get $jr) (local.get $t)) (local.get $ldb)) (local.get $p)))`,
    `                    (else (i32.add (i32.mul (local.get $p) (local.get $ldb)) (i32.add (local.get $jr) (local.get $t)))))`,
    `                  (i32.const 2)))))))`,
    `              (f32.store (i32.add (local.get $d) (i32.shl (local.get $t) (i32.const 2))) (local.get $x))`,
    `              (local.set $t (i32.add (local.get $t) (i32.const 1)))`,
    `              (br $cl)))`,
    `            (local.set $d (i32.add (local.get $d) (i32.const 32)))`,
    `            (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `            (br $pl)))))`,
    `      (local.set $jr (i32.add (local.get $jr) (i32.const 8)))`,
    `      (br $panels)))`,
    `  )`,
  );
}

/** add_block(src, lds, dst, ldd, rows, cols): dst[i][j] += src[i][j] (byte addresses, strides in elements). */
function addBlock() {
  return lines(
    `  (func $add_block (export "add_block") (param $src i32) (param $lds i32) (param $dst i32) (param $ldd i32) (param $rows i32) (param $cols i32)`,
    `    (local $i i32) (local $j i32) (local $s i32) (local $d i32)`,
    `    (block $done (loop $rl`,
    `      (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))`,
    `      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $i) (local.get $lds)) (i32.const 2))))`,
    `      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $i) (local.get $ldd)) (i32.const 2))))`,
    `      (local.set $j (i32.const 0))`,
    `      (block $vd (loop $vl`,
    `        (br_if $vd (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))`,
    `        (v128.store (local.get $d) (f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s))))`,
    `        (local.set $s (i32.add (local.get $s) (i32.const 16)))`,
    `        (local.set $d (i32.add (local.get $d) (i32.const 16)))`,
    `        (local.set $j (i32.add (local.get $j) (i32.const 4)))`,
    `        (br $vl)))`,
    `      (block $sd (loop $sl`,
    `        (br_if $sd (i32.ge_u (local.get $j) (local.get $cols)))`,
    `        (f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s))))`,
    `        (local.set $s (i32.add (local.get $s) (i32.const 4)))`,
    `        (local.set $d (i32.add (local.get $d) (i32.const 4)))`,
    `        (local.set $j (i32.add (local.get $j) (i32.const 1)))`,
    `        (br $sl)))`,
    `      (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `      (br $rl)))`,
    `  )`,
  );
}

/**
 * gemv_t(a, lda, b, ldb, c, ldc, m, n, k, alpha): C[i, j] += Σ_p (α·A[i, p])·B[j, p] for i < m
 * (1–3 rows: a fully connected layer on one image), reading B (n×k, op(B) = Bᵀ) in place
 * instead of packing it. Four columns j per vector: 4×4 blocks of B transposed in registers.
 * Each element is summed exactly as gemm_block sums it (the same MADD, p in order within each
 * 256-long slice from zero, slices added in order to a zeroed block, the block added to C), so a
 * row's result does not depend on how many rows the product has.
 */
function gemvT() {
  const rowAddr = (l) => `$ra${l}`;
  return lines(
    `  (func $gemv_t (export "gemv_t") (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32) (param $m i32) (param $n i32) (param $k i32) (param $alpha f32)`,
    `    (local $i i32) (local $j i32) (local $l i32) (local $cnt i32) (local $p i32) (local $p0 i32) (local $pend i32) (local $ar i32) (local $co i32) (local $ldbb i32)`,
    `    (local $ra0 i32) (local $ra1 i32) (local $ra2 i32) (local $ra3 i32) (local $av v128) (local $acc v128) (local $cw v128) (local $col v128)`,
    `    ${ROWS(4)} ${TEMPS}`,
    `    (local.set $ldbb (i32.shl (local.get $ldb) (i32.const 2)))`,
    `    (block $id (loop $il`,
    `      (br_if $id (i32.ge_u (local.get $i) (local.get $m)))`,
    `      (local.set $j (i32.const 0))`,
    `      (block $jd (loop $jl`,
    `        (br_if $jd (i32.ge_u (local.get $j) (local.get $n)))`,
    `        (local.set $cnt (i32.sub (local.get $n) (local.get $j)))`,
    `        (if (i32.gt_u (local.get $cnt) (i32.const 4)) (then (local.set $cnt (i32.const 4))))`,
    `        ;; rows j … j+3 of B (past n: row j again, its lanes are not stored)`,
    ...range(4).map((l) => `        (local.set ${rowAddr(l)} (i32.add (local.get $b) (i32.mul (local.get $ldbb) (i32.add (local.get $j) (select (i32.const ${l}) (i32.const 0) (i32.lt_u (i32.const ${l}) (local.get $cnt)))))))`),
    `        (local.set $cw (v128.const i32x4 0 0 0 0))`,
    `        (local.set $p0 (i32.const 0))`,
    `        (block $sd (loop $sl`,
    `          (br_if $sd (i32.ge_u (local.get $p0) (local.get $k)))`,
    `          (local.set $pend (i32.add (local.get $p0) (i32.const 256)))`,
    `          (if (i32.gt_u (local.get $pend) (local.get $k)) (then (local.set $pend (local.get $k))))`,
    `          (local.set $acc (v128.const i32x4 0 0 0 0))`,
    `          (local.set $p (local.get $p0))`,
    `          (local.set $ar (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $lda)) (local.get $p)) (i32.const 2))))`,
    `          (block $vd (loop $vl`,
    `            (br_if $vd (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $pend)))`,
    ...range(4).map((l) => `            (local.set $r${l} (v128.load (i32.add (local.get ${rowAddr(l)}) (i32.shl (local.get $p) (i32.const 2)))))`),
    `            (local.set $t0 (i8x16.shuffle ${LO_PAIRS} (local.get $r0) (local.get $r1)))`,
    `            (local.set $t1 (i8x16.shuffle ${HI_PAIRS} (local.get $r0) (local.get $r1)))`,
    `            (local.set $t2 (i8x16.shuffle ${LO_PAIRS} (local.get $r2) (local.get $r3)))`,
    `            (local.set $t3 (i8x16.shuffle ${HI_PAIRS} (local.get $r2) (local.get $r3)))`,
    ...[
      ['$t0', '$t2', LO_HALVES, 0],
      ['$t0', '$t2', HI_HALVES, 4],
      ['$t1', '$t3', LO_HALVES, 8],
      ['$t1', '$t3', HI_HALVES, 12],
    ].flatMap(([x, y, pat, off]) => [
      `            (local.set $col (i8x16.shuffle ${pat} (local.get ${x}) (local.get ${y})))`,
      `            (local.set $av (f32x4.splat (f32.mul (local.get $alpha) (f32.load offset=${off} (local.get $ar)))))`,
      `            local.get $av`,
      `            local.get $col`,
      `            MADD $acc`,
    ]),
    `            (local.set $ar (i32.add (local.get $ar) (i32.const 16)))`,
    `            (local.set $p (i32.add (local.get $p) (i32.const 4)))`,
    `            (br $vl)))`,
    `          (block $td (loop $tl`,
    `            (br_if $td (i32.ge_u (local.get $p) (local.get $pend)))`,
    `            (local.set $col (f32x4.splat (f32.load (i32.add (local.get $ra0) (i32.shl (local.get $p) (i32.const 2))))))`,
    ...[1, 2, 3].map((l) => `            (local.set $col (f32x4.replace_lane ${l} (local.get $col) (f32.load (i32.add (local.get ${rowAddr(l)}) (i32.shl (local.get $p) (i32.const 2))))))`),
    `            (local.set $av (f32x4.splat (f32.mul (local.get $alpha) (f32.load (local.get $ar)))))`,
    `            local.get $av`,
    `            local.get $col`,
    `            MADD $acc`,
    `            (local.set $ar (i32.add (local.get $ar) (i32.const 4)))`,
    `            (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `            (br $tl)))`,
    `          (local.set $cw (f32x4.add (local.get $cw) (local.get $acc)))`,
    `          (local.set $p0 (local.get $pend))`,
    `          (br $sl)))`,
    `        (local.set $co (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))`,
    `        (if (i32.eq (local.get $cnt) (i32.const 4))`,
    `          (then (v128.store (local.get $co) (f32x4.add (v128.load (local.get $co)) (local.get $cw))))`,
    `          (else`,
    ...range(3).map((l) => `            (if (i32.gt_u (local.get $cnt) (i32.const ${l})) (then (f32.store offset=${4 * l} (local.get $co) (f32.add (f32.load offset=${4 * l} (local.get $co)) (f32x4.extract_lane ${l} (local.get $cw))))))`),
    `          ))`,
    `        (local.set $j (i32.add (local.get $j) (i32.const 4)))`,
    `        (br $jl)))`,
    `      (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `      (br $il)))`,
    `  )`,
  );
}

// ---- Winograd F(2×2, r×r) transforms, four tiles side by side in the lanes of each vector ----

/** Bᵀ of F(2, 3) (α = 4) and F(2, 5) (α = 6): rows of coefficients on d0 … d(α−1). */
const BT = {
  4: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  6: [[4, 0, -5, 0, 1, 0], [0, 4, 4, -1, -1, 0], [0, -4, 4, 1, -1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
};
/** Aᵀ (2×α) of the output transform. */
const AT = { 4: [[1, 1, 1, 0], [0, 1, -1, -1]], 6: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 1]] };

const fconst = (c) => `(v128.const f32x4 ${c} ${c} ${c} ${c})`;
/** Σ coef·x over terms [coef, local] as one folded f32x4 expression (±1 without a multiply). */
function combo(terms) {
  const t = terms.filter(([c]) => c !== 0);
  const term = ([c, x]) => (Math.abs(c) === 1 ? `(local.get ${x})` : `(f32x4.mul (local.get ${x}) ${fconst(Math.abs(c))})`);
  let e = t[0][0] < 0 ? `(f32x4.neg ${term(t[0])})` : term(t[0]);
  for (const tt of t.slice(1)) e = `(${tt[0] < 0 ? 'f32x4.sub' : 'f32x4.add'} ${e} ${term(tt)})`;
  return e;
}
const EVEN = lanes(0, 2, 4, 6), ODD = lanes(1, 3, 5, 7);
const vlocals = (prefix, n) => range(n).map((i) => `(local ${prefix}${i} v128)`).join(' ');

/**
 * Stores vector $x at $o: whole when the group has 4 tiles ($cnt), else only its first $cnt
 * lanes (the lanes past the group belong to tiles another thread may be writing).
 */
function storeTiles(x) {
  return [
    `(if (i32.eq (local.get $cnt) (i32.const 4))`,
    `  (then (v128.store (local.get $o) (local.get ${x})))`,
    `  (else (v128.store32_lane 0 (local.get $o) (local.get ${x}))`,
    `    (if (i32.gt_u (local.get $cnt) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $o) (local.get ${x}))))`,
    `    (if (i32.gt_u (local.get $cnt) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $o) (local.get ${x}))))))`,
    `(local.set $o (i32.add (local.get $o) (local.get $sb)))`,
  ];
}

/** Loop over rows of tiles and groups of 4 tiles: $in (input address of the group), $o (output address), $cnt. */
function tileLoops(name, params, locals, inAddr, outAddr, body) {
  return lines(
    `  (func $${name} (export "${name}") ${params}`,
    `    (local $ty i32) (local $g i32) (local $tx i32) (local $cnt i32) (local $in i32) (local $o i32) (local $sb i32) ${locals}`,
    `    (local.set $sb (i32.shl (local.get $stride) (i32.const 2)))`,
    `    (block $rows_done (loop $rows`,
    `      (br_if $rows_done (i32.ge_u (local.get $ty) (local.get $tilesH)))`,
    `      (local.set $tx (i32.const 0))`,
    `      (block $groups_done (loop $groups`,
    `        (br_if $groups_done (i32.ge_u (local.get $tx) (local.get $tilesW)))`,
    `        (local.set $cnt (i32.sub (local.get $tilesW) (local.get $tx)))`,
    `        (if (i32.gt_u (local.get $cnt) (i32.const 4)) (then (local.set $cnt (i32.const 4))))`,
    `        (local.set $in ${inAddr})`,
    `        (local.set $o ${outAddr})`,
    ...body.map((l) => `        ${l}`),
    `        (local.set $tx (i32.add (local.get $tx) (i32.const 4)))`,
    `        (br $groups)))`,
    `      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))`,
    `      (br $rows)))`,
    `  )`,
  );
}

/** Byte address of tile (ty, tx)'s first value in a transform array at $base: base + 4·(ty·tilesW + tx). */
const tileAddr = (base) => `(i32.add (local.get ${base}) (i32.shl (i32.add (i32.mul (local.get $ty) (local.get $tilesW)) (local.get $tx)) (i32.const 2)))`;
/** Byte address of a padded plane's element (2ty + row, 2tx): the group's top-left. */
const planeAddr = (base, ld) => `(i32.add (local.get ${base}) (i32.shl (i32.add (i32.mul (i32.shl (local.get $ty) (i32.const 1)) (local.get ${ld})) (i32.shl (local.get $tx) (i32.const 1))) (i32.const 2)))`;

/**
 * wino_in{α}(src, ldp, tilesH, tilesW, v, stride): V[ξ][t] = (Bᵀ d_t B)[ξ] for every tile t of one
 * zero-padded input plane at src (row stride ldp elements; tile (ty, tx) reads rows 2ty … 2ty+α−1,
 * columns 2tx … 2tx+α−1), V[ξ] at v + ξ·stride (elements), tile t = ty·tilesW + tx.
 */
function winoIn(alpha) {
  const bt = BT[alpha];
  const body = [];
  for (let i = 0; i < alpha; i++)
    for (let q = 0; q < alpha; q++) {
      // Column q of the four tiles: padded columns 2tx+q, +2, +4, +6 = even lanes of 8 values from q.
      const at = `(i32.add (local.get $in) (i32.const ${4 * q}))`;
      body.push(`(local.set $d${i * alpha + q} (i8x16.shuffle ${EVEN} (v128.load offset=${0} (i32.add ${at} (i32.mul (local.get $ldb) (i32.const ${i})))) (v128.load offset=16 (i32.add ${at} (i32.mul (local.get $ldb) (i32.const ${i}))))))`);
    }
  // t = Bᵀ d (rows), then out = t B (columns).
  for (let a = 0; a < alpha; a++) for (let q = 0; q < alpha; q++) body.push(`(local.set $t${a * alpha + q} ${combo(bt[a].map((c, i) => [c, `$d${i * alpha + q}`]))})`);
  for (let a = 0; a < alpha; a++)
    for (let b = 0; b < alpha; b++) {
      body.push(`(local.set $x ${combo(bt[b].map((c, q) => [c, `$t${a * alpha + q}`]))})`);
      body.push(...storeTiles('$x'));
    }
  return tileLoops(
    `wino_in${alpha}`,
    `(param $src i32) (param $ldp i32) (param $tilesH i32) (param $tilesW i32) (param $v i32) (param $stride i32)`,
    `(local $ldb i32) (local $x v128) ${vlocals('$d', alpha * alpha)} ${vlocals('$t', alpha * alpha)}`,
    `(block (result i32) (local.set $ldb (i32.shl (local.get $ldp) (i32.const 2))) ${planeAddr('$src', '$ldp')})`,
    tileAddr('$v'),
    body,
  );
}

/**
 * wino_out{α}(m, stride, tilesH, tilesW, dst, ldd, bias): the 2×2 outputs (Aᵀ m_t A) + bias of
 * every tile of one output plane, M[ξ][t] at m + ξ·stride, written to a scratch plane at dst (row
 * stride ldd ≥ 8·⌈tilesW/4⌉, 2·tilesH rows) that the caller crops. A group of fewer than 4 tiles
 * reads past its row (harmless values that land in the cropped margin).
 */
function winoOut(alpha) {
  const at = AT[alpha];
  const body = [`(local.set $s (i32.shl (local.get $stride) (i32.const 2)))`];
  for (let e = 0; e < alpha * alpha; e++) body.push(`(local.set $d${e} (v128.load (i32.add (local.get $o) (i32.mul (local.get $s) (i32.const ${e})))))`);
  // p = Aᵀ m (2×α), y = p A (2×2).
  for (let a = 0; a < 2; a++) for (let q = 0; q < alpha; q++) body.push(`(local.set $t${a * alpha + q} ${combo(at[a].map((c, i) => [c, `$d${i * alpha + q}`]))})`);
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 2; b++) body.push(`(local.set $y${2 * a + b} (f32x4.add ${combo(at[b].map((c, q) => [c, `$t${a * alpha + q}`]))} (local.get $bv)))`);
  // Interleave y_a0 and y_a1 of the four tiles into output row 2ty + a: 8 values.
  for (let a = 0; a < 2; a++) {
    const row = a === 0 ? `(local.get $in)` : `(i32.add (local.get $in) (local.get $ldb))`;
    body.push(`(v128.store ${row} (i8x16.shuffle ${LO_PAIRS} (local.get $y${2 * a}) (local.get $y${2 * a + 1})))`);
    body.push(`(v128.store offset=16 ${row} (i8x16.shuffle ${HI_PAIRS} (local.get $y${2 * a}) (local.get $y${2 * a + 1})))`);
  }
  return tileLoops(
    `wino_out${alpha}`,
    `(param $m i32) (param $stride i32) (param $tilesH i32) (param $tilesW i32) (param $dst i32) (param $ldd i32) (param $bias f32)`,
    `(local $s i32) (local $ldb i32) (local $bv v128) ${vlocals('$d', alpha * alpha)} ${vlocals('$t', 2 * alpha)} ${vlocals('$y', 4)}`,
    `(block (result i32) (local.set $ldb (i32.shl (local.get $ldd) (i32.const 2))) (local.set $bv (f32x4.splat (local.get $bias))) ${planeAddr('$dst', '$ldd')})`,
    tileAddr('$m'),
    body,
  );
}

/**
 * wino_grad{α}(src, ldp, tilesH, tilesW, dm, stride): dM[ξ][t] = (A dy_t Aᵀ)[ξ] for the 2×2 block
 * dy_t of every tile of one zero-padded output-gradient plane at src (row stride ldp ≥ 8·⌈tilesW/4⌉).
 */
function winoGrad(alpha) {
  const A = range(alpha).map((i) => [AT[alpha][0][i], AT[alpha][1][i]]); // A = (Aᵀ)ᵀ, α×2
  const body = [];
  for (let a = 0; a < 2; a++) {
    const row = a === 0 ? `(local.get $in)` : `(i32.add (local.get $in) (local.get $ldb))`;
    body.push(`(local.set $l0 (v128.load ${row}))`, `(local.set $l1 (v128.load offset=16 ${row}))`);
    body.push(`(local.set $y${2 * a} (i8x16.shuffle ${EVEN} (local.get $l0) (local.get $l1)))`);
    body.push(`(local.set $y${2 * a + 1} (i8x16.shuffle ${ODD} (local.get $l0) (local.get $l1)))`);
  }
  // p = dy Aᵀ (2×α), then dM = A p (α×α).
  for (let a = 0; a < 2; a++) for (let q = 0; q < alpha; q++) body.push(`(local.set $t${a * alpha + q} ${combo(A[q].map((c, j) => [c, `$y${2 * a + j}`]))})`);
  for (let i = 0; i < alpha; i++)
    for (let q = 0; q < alpha; q++) {
      const terms = A[i].map((c, a) => [c, `$t${a * alpha + q}`]);
      body.push(`(local.set $x ${terms.some(([c]) => c !== 0) ? combo(terms) : '(v128.const i32x4 0 0 0 0)'})`);
      body.push(...storeTiles('$x'));
    }
  return tileLoops(
    `wino_grad${alpha}`,
    `(param $src i32) (param $ldp i32) (param $tilesH i32) (param $tilesW i32) (param $dm i32) (param $stride i32)`,
    `(local $ldb i32) (local $x v128) (local $l0 v128) (local $l1 v128) ${vlocals('$y', 4)} ${vlocals('$t', 2 * alpha)}`,
    `(block (result i32) (local.set $ldb (i32.shl (local.get $ldp) (i32.const 2))) ${planeAddr('$src', '$ldp')})`,
    tileAddr('$dm'),
    body,
  );
}

/** G (α×r) of the filter transform, F(2, 3) and F(2, 5). */
const G = {
  3: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  5: [[1 / 4, 0, 0, 0, 0], [1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6], [1 / 6, -1 / 6, 1 / 6, -1 / 6, 1 / 6], [1 / 24, 2 / 24, 4 / 24, 8 / 24, 16 / 24], [1 / 24, -2 / 24, 4 / 24, -8 / 24, 16 / 24], [0, 0, 0, 0, 1]],
};

/**
 * wino_filt{r}(src, cstride, rev, cIn, dst, ustride): U[ξ][c] = (G g_c Gᵀ)[ξ] for the cIn r×r
 * filters g_c of one output channel: filter c's taps at src + c·cstride (bytes), read in reverse
 * order when rev (the adjoint's 180° rotation); U[ξ] at dst + ξ·ustride (elements). Four filters
 * per vector; their taps are gathered one lane at a time.
 */
function winoFilt(r) {
  const alpha = r + 1, rr = r * r, g = G[r];
  const body = [];
  for (let k = 0; k < rr; k++) {
    // Tap k (or rr − 1 − k) of filters c … c + 3, zero past cIn.
    const tap = `(i32.shl (if (result i32) (local.get $rev) (then (i32.const ${rr - 1 - k})) (else (i32.const ${k}))) (i32.const 2))`;
    body.push(`(local.set $q (i32.add (local.get $in) ${tap}))`);
    body.push(`(local.set $g${k} (f32x4.splat (f32.load (local.get $q))))`);
    for (let l = 1; l < 4; l++) {
      body.push(`(if (i32.gt_u (local.get $cnt) (i32.const ${l})) (then (local.set $g${k} (f32x4.replace_lane ${l} (local.get $g${k}) (f32.load (i32.add (local.get $q) (i32.mul (local.get $cstride) (i32.const ${l}))))))))`);
    }
  }
  // t = G g (α×r), U = t Gᵀ (α×α).
  for (let a = 0; a < alpha; a++) for (let j = 0; j < r; j++) body.push(`(local.set $t${a * r + j} ${combo(g[a].map((c, i) => [c, `$g${i * r + j}`]))})`);
  for (let a = 0; a < alpha; a++)
    for (let b = 0; b < alpha; b++) {
      body.push(`(local.set $x ${combo(g[b].map((c, j) => [c, `$t${a * r + j}`]))})`);
      body.push(...storeTiles('$x'));
    }
  return lines(
    `  (func $wino_filt${r} (export "wino_filt${r}") (param $src i32) (param $cstride i32) (param $rev i32) (param $cIn i32) (param $dst i32) (param $stride i32)`,
    `    (local $c i32) (local $cnt i32) (local $in i32) (local $o i32) (local $q i32) (local $sb i32) (local $x v128) ${vlocals('$g', rr)} ${vlocals('$t', alpha * r)}`,
    `    (local.set $sb (i32.shl (local.get $stride) (i32.const 2)))`,
    `    (block $done (loop $filters`,
    `      (br_if $done (i32.ge_u (local.get $c) (local.get $cIn)))`,
    `      (local.set $cnt (i32.sub (local.get $cIn) (local.get $c)))`,
    `      (if (i32.gt_u (local.get $cnt) (i32.const 4)) (then (local.set $cnt (i32.const 4))))`,
    `      (local.set $in (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $cstride))))`,
    `      (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2))))`,
    ...body.map((l) => `      ${l}`),
    `      (local.set $c (i32.add (local.get $c) (i32.const 4)))`,
    `      (br $filters)))`,
    `  )`,
  );
}

/**
 * pad_plane(src, h, w, dst, rows, ld, r0, c0): the h×w plane at src copied into the rows×ld plane
 * at dst with its (0, 0) at row r0, column c0 (either may be negative: clipped), zeros elsewhere.
 * crop_plane(src, ld, dst, h, w): the top-left h×w of a plane with row stride ld, copied to a
 * dense h×w plane. Byte addresses; sizes in elements.
 */
function planeCopies() {
  return lines(
    `  (func $pad_plane (export "pad_plane") (param $src i32) (param $h i32) (param $w i32) (param $dst i32) (param $rows i32) (param $ld i32) (param $r0 i32) (param $c0 i32)`,
    `    (local $y i32) (local $y1 i32) (local $w0 i32) (local $w1 i32)`,
    `    (memory.fill (local.get $dst) (i32.const 0) (i32.shl (i32.mul (local.get $rows) (local.get $ld)) (i32.const 2)))`,
    `    ;; columns w0 … w1 − 1 of the source land inside the destination`,
    `    (local.set $w0 (select (i32.sub (i32.const 0) (local.get $c0)) (i32.const 0) (i32.lt_s (local.get $c0) (i32.const 0))))`,
    `    (local.set $w1 (select (local.get $w) (i32.sub (local.get $ld) (local.get $c0)) (i32.lt_s (local.get $w) (i32.sub (local.get $ld) (local.get $c0)))))`,
    `    (if (i32.le_s (local.get $w1) (local.get $w0)) (then (return)))`,
    `    (local.set $y (select (i32.sub (i32.const 0) (local.get $r0)) (i32.const 0) (i32.lt_s (local.get $r0) (i32.const 0))))`,
    `    (local.set $y1 (select (local.get $h) (i32.sub (local.get $rows) (local.get $r0)) (i32.lt_s (local.get $h) (i32.sub (local.get $rows) (local.get $r0)))))`,
    `    (block $done (loop $rl`,
    `      (br_if $done (i32.ge_s (local.get $y) (local.get $y1)))`,
    `      (memory.copy`,
    `        (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (i32.add (local.get $y) (local.get $r0)) (local.get $ld)) (i32.add (local.get $c0) (local.get $w0))) (i32.const 2)))`,
    `        (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $w)) (local.get $w0)) (i32.const 2)))`,
    `        (i32.shl (i32.sub (local.get $w1) (local.get $w0)) (i32.const 2)))`,
    `      (local.set $y (i32.add (local.get $y) (i32.const 1)))`,
    `      (br $rl)))`,
    `  )`,
    `  (func $crop_plane (export "crop_plane") (param $src i32) (param $ld i32) (param $dst i32) (param $h i32) (param $w i32)`,
    `    (local $y i32)`,
    `    (block $done (loop $rl`,
    `      (br_if $done (i32.ge_u (local.get $y) (local.get $h)))`,
    `      (memory.copy`,
    `        (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $y) (local.get $w)) (i32.const 2)))`,
    `        (i32.add (local.get $src) (i32.shl (i32.mul (local.get $y) (local.get $ld)) (i32.const 2)))`,
    `        (i32.shl (local.get $w) (i32.const 2)))`,
    `      (local.set $y (i32.add (local.get $y) (i32.const 1)))`,
    `      (br $rl)))`,
    `  )`,
  );
}

// ---- Window loops ----

/**
 * max_pool2(x, planes, H, W, outH, outW, y, am): 2×2 windows at stride 2, all inside the image
 * (no padding or overhang): y[p, oh, ow] = the max of x[p, 2oh + i, 2ow + j] and am[…] the flat
 * index into x of the first maximum in row-major tap order (strict >: ties keep the earliest; a
 * NaN first tap stays). Four outputs per vector; the last ones of a row one at a time.
 */
function maxPool2() {
  const cand = [
    ['$a01', '(i32x4.add (local.get $i00) (v128.const i32x4 1 1 1 1))'],
    ['$a10', '(i32x4.add (local.get $i00) (local.get $wv))'],
    ['$a11', '(i32x4.add (local.get $i00) (local.get $wv1))'],
  ];
  const scalarCand = [
    ['(f32.load offset=4 (local.get $r))', '(i32.add (local.get $si) (i32.const 1))'],
    ['(f32.load (i32.add (local.get $r) (local.get $wb)))', '(i32.add (local.get $si) (local.get $W))'],
    ['(f32.load offset=4 (i32.add (local.get $r) (local.get $wb)))', '(i32.add (i32.add (local.get $si) (local.get $W)) (i32.const 1))'],
  ];
  return lines(
    `  (func $max_pool2 (export "max_pool2") (param $x i32) (param $planes i32) (param $H i32) (param $W i32) (param $outH i32) (param $outW i32) (param $y i32) (param $am i32)`,
    `    (local $p i32) (local $oh i32) (local $ow i32) (local $r i32) (local $wb i32) (local $si i32) (local $o i32) (local $sv f32) (local $c f32) (local $sb i32)`,
    `    (local $l0 v128) (local $l1 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128) (local $best v128) (local $bi v128) (local $i00 v128) (local $m v128) (local $wv v128) (local $wv1 v128)`,
    `    (local.set $wb (i32.shl (local.get $W) (i32.const 2)))`,
    `    (local.set $wv (i32x4.splat (local.get $W)))`,
    `    (local.set $wv1 (i32x4.splat (i32.add (local.get $W) (i32.const 1))))`,
    `    (block $pd (loop $pl`,
    `      (br_if $pd (i32.ge_u (local.get $p) (local.get $planes)))`,
    `      (local.set $oh (i32.const 0))`,
    `      (block $hd (loop $hl`,
    `        (br_if $hd (i32.ge_u (local.get $oh) (local.get $outH)))`,
    `        (local.set $ow (i32.const 0))`,
    `        (block $vd (loop $vl`,
    `          (br_if $vd (i32.gt_u (i32.add (local.get $ow) (i32.const 4)) (local.get $outW)))`,
    `          ;; flat index of tap (0, 0) of output ow: (p·H + 2oh)·W + 2ow`,
    `          (local.set $si (i32.add (i32.mul (i32.add (i32.mul (local.get $p) (local.get $H)) (i32.shl (local.get $oh) (i32.const 1))) (local.get $W)) (i32.shl (local.get $ow) (i32.const 1))))`,
    `          (local.set $r (i32.add (local.get $x) (i32.shl (local.get $si) (i32.const 2))))`,
    `          (local.set $l0 (v128.load (local.get $r)))`,
    `          (local.set $l1 (v128.load offset=16 (local.get $r)))`,
    `          (local.set $best (i8x16.shuffle ${EVEN} (local.get $l0) (local.get $l1)))`,
    `          (local.set $a01 (i8x16.shuffle ${ODD} (local.get $l0) (local.get $l1)))`,
    `          (local.set $l0 (v128.load (i32.add (local.get $r) (local.get $wb))))`,
    `          (local.set $l1 (v128.load offset=16 (i32.add (local.get $r) (local.get $wb))))`,
    `          (local.set $a10 (i8x16.shuffle ${EVEN} (local.get $l0) (local.get $l1)))`,
    `          (local.set $a11 (i8x16.shuffle ${ODD} (local.get $l0) (local.get $l1)))`,
    `          (local.set $i00 (i32x4.add (i32x4.splat (local.get $si)) (v128.const i32x4 0 2 4 6)))`,
    `          (local.set $bi (local.get $i00))`,
    ...cand.flatMap(([a, idx]) => [
      `          (local.set $m (f32x4.gt (local.get ${a}) (local.get $best)))`,
      `          (local.set $best (v128.bitselect (local.get ${a}) (local.get $best) (local.get $m)))`,
      `          (local.set $bi (v128.bitselect ${idx} (local.get $bi) (local.get $m)))`,
    ]),
    `          (local.set $o (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $p) (local.get $outH)) (local.get $oh)) (local.get $outW)) (local.get $ow)) (i32.const 2)))`,
    `          (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $best))`,
    `          (v128.store (i32.add (local.get $am) (local.get $o)) (local.get $bi))`,
    `          (local.set $ow (i32.add (local.get $ow) (i32.const 4)))`,
    `          (br $vl)))`,
    `        (block $sd (loop $sl`,
    `          (br_if $sd (i32.ge_u (local.get $ow) (local.get $outW)))`,
    `          (local.set $si (i32.add (i32.mul (i32.add (i32.mul (local.get $p) (local.get $H)) (i32.shl (local.get $oh) (i32.const 1))) (local.get $W)) (i32.shl (local.get $ow) (i32.const 1))))`,
    `          (local.set $r (i32.add (local.get $x) (i32.shl (local.get $si) (i32.const 2))))`,
    `          (local.set $sv (f32.load (local.get $r)))`,
    `          (local.set $sb (local.get $si))`,
    ...scalarCand.flatMap(([v, idx]) => [
      `          (local.set $c ${v})`,
      `          (if (f32.gt (local.get $c) (local.get $sv)) (then (local.set $sv (local.get $c)) (local.set $sb ${idx})))`,
    ]),
    `          (local.set $o (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $p) (local.get $outH)) (local.get $oh)) (local.get $outW)) (local.get $ow)) (i32.const 2)))`,
    `          (f32.store (i32.add (local.get $y) (local.get $o)) (local.get $sv))`,
    `          (i32.store (i32.add (local.get $am) (local.get $o)) (local.get $sb))`,
    `          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))`,
    `          (br $sl)))`,
    `        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))`,
    `        (br $hl)))`,
    `      (local.set $p (i32.add (local.get $p) (i32.const 1)))`,
    `      (br $pl)))`,
    `  )`,
  );
}

// ---- Column and update loops ----

/**
 * zero_f32(d, n) and copy_f32(d, s, n): n floats at byte address d set to 0, or copied from s
 * (ranges must not overlap), four per vector then one at a time. Cheaper than memory.fill /
 * memory.copy for the short rows im2col moves (a row of a 28×28 image is 112 bytes).
 */
function rowMoves() {
  const loop = (name, vec, scalar, step) => [
    `    (block $${name}vd (loop $${name}vl`,
    `      (br_if $${name}vd (i32.lt_s (local.get $n) (i32.const 4)))`,
    `      ${vec}`,
    ...step(16),
    `      (local.set $n (i32.sub (local.get $n) (i32.const 4)))`,
    `      (br $${name}vl)))`,
    `    (block $${name}sd (loop $${name}sl`,
    `      (br_if $${name}sd (i32.le_s (local.get $n) (i32.const 0)))`,
    `      ${scalar}`,
    ...step(4),
    `      (local.set $n (i32.sub (local.get $n) (i32.const 1)))`,
    `      (br $${name}sl)))`,
  ];
  const stepD = (b) => [`      (local.set $d (i32.add (local.get $d) (i32.const ${b})))`];
  const stepDS = (b) => [...stepD(b), `      (local.set $s (i32.add (local.get $s) (i32.const ${b})))`];
  return lines(
    `  (func $zero_f32 (param $d i32) (param $n i32)`,
    ...loop('z', '(v128.store (local.get $d) (v128.const i32x4 0 0 0 0))', '(f32.store (local.get $d) (f32.const 0))', stepD),
    `  )`,
    `  (func $copy_f32 (param $d i32) (param $s i32) (param $n i32)`,
    ...loop('c', '(v128.store (local.get $d) (v128.load (local.get $s)))', '(f32.store (local.get $d) (f32.load (local.get $s)))', stepDS),
    `  )`,
    `  (func $add_f32 (param $d i32) (param $s i32) (param $n i32)`,
    ...loop(
      'a',
      '(v128.store (local.get $d) (f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s))))',
      '(f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s))))',
      stepDS,
    ),
    `  )`,
  );
}

/**
 * The statements common to im2col and col2im: loops over the column matrix's rows (c, i, j)
 * and each row's output rows oh, with $lo/$hi the outputs ow whose tap lands inside the row
 * [0, inW) (blocks/im2col.ts's validRange), $row the row's byte address in the column matrix
 * ($cols + row·ld) advanced by outW per oh, and $src the byte address of input (ih, shiftW)
 * in channel c's plane. `inside` runs for an input row inside the image, `outside` otherwise.
 */
function columnLoops(name, params, outside, inside) {
  return lines(
    `  (func $${name} (export "${name}") ${params} (param $C i32) (param $inH i32) (param $inW i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32) (param $dH i32) (param $dW i32) (param $pt i32) (param $pl i32) (param $outH i32) (param $outW i32)`,
    `    (local $c i32) (local $i i32) (local $j i32) (local $oh i32) (local $ih i32) (local $r i32) (local $plane i32) (local $shH i32) (local $shW i32)`,
    `    (local $lo i32) (local $hi i32) (local $num i32) (local $row i32) (local $src i32) (local $ow i32) (local $sWb i32) (local $rowb i32)`,
    `    (local.set $sWb (i32.shl (local.get $sW) (i32.const 2)))`,
    `    (local.set $rowb (i32.shl (local.get $outW) (i32.const 2)))`,
    `    (block $cd (loop $cl`,
    `      (br_if $cd (i32.ge_u (local.get $c) (local.get $C)))`,
    `      (local.set $plane (i32.add (local.get $x) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $inH) (local.get $inW))) (i32.const 2))))`,
    `      (local.set $i (i32.const 0))`,
    `      (block $id (loop $il`,
    `        (br_if $id (i32.ge_u (local.get $i) (local.get $kH)))`,
    `        (local.set $shH (i32.sub (i32.mul (local.get $i) (local.get $dH)) (local.get $pt)))`,
    `        (local.set $j (i32.const 0))`,
    `        (block $jd (loop $jl`,
    `          (br_if $jd (i32.ge_u (local.get $j) (local.get $kW)))`,
    `          (local.set $shW (i32.sub (i32.mul (local.get $j) (local.get $dW)) (local.get $pl)))`,
    `          ;; lo = min(outW, ceil(-shW / sW) or 0), hi = max(lo, min(outW, floor((inW - 1 - shW) / sW) + 1))`,
    `          (local.set $lo (select (i32.div_u (i32.add (i32.sub (i32.const 0) (local.get $shW)) (i32.sub (local.get $sW) (i32.const 1))) (local.get $sW)) (i32.const 0) (i32.lt_s (local.get $shW) (i32.const 0))))`,
    `          (if (i32.gt_u (local.get $lo) (local.get $outW)) (then (local.set $lo (local.get $outW))))`,
    `          (local.set $num (i32.sub (i32.sub (local.get $inW) (i32.const 1)) (local.get $shW)))`,
    `          (local.set $hi (select (i32.add (i32.div_u (local.get $num) (local.get $sW)) (i32.const 1)) (i32.const 0) (i32.ge_s (local.get $num) (i32.const 0))))`,
    `          (if (i32.gt_u (local.get $hi) (local.get $outW)) (then (local.set $hi (local.get $outW))))`,
    `          (if (i32.lt_u (local.get $hi) (local.get $lo)) (then (local.set $hi (local.get $lo))))`,
    `          (local.set $row (i32.add (local.get $cols) (i32.shl (i32.mul (local.get $r) (local.get $ld)) (i32.const 2))))`,
    `          (local.set $oh (i32.const 0))`,
    `          (block $hd (loop $hl`,
    `            (br_if $hd (i32.ge_u (local.get $oh) (local.get $outH)))`,
    `            (local.set $ih (i32.add (i32.mul (local.get $oh) (local.get $sH)) (local.get $shH)))`,
    `            ;; unsigned: a negative ih is outside too`,
    `            (if (i32.ge_u (local.get $ih) (local.get $inH))`,
    `              (then ${outside})`,
    `              (else`,
    `                (local.set $src (i32.add (local.get $plane) (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $inW)) (local.get $shW)) (i32.const 2))))`,
    `                ${inside}))`,
    `            (local.set $row (i32.add (local.get $row) (local.get $rowb)))`,
    `            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))`,
    `            (br $hl)))`,
    `          (local.set $r (i32.add (local.get $r) (i32.const 1)))`,
    `          (local.set $j (i32.add (local.get $j) (i32.const 1)))`,
    `          (br $jl)))`,
    `        (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `        (br $il)))`,
    `      (local.set $c (i32.add (local.get $c) (i32.const 1)))`,
    `      (br $cl)))`,
    `  )`,
  );
}

/** Strided taps ow in [lo, hi): `body` with $ow's byte offsets in the row (·4) and in the input (·sW·4). */
const stridedTaps = (body) =>
  `(local.set $ow (local.get $lo)) (block $od (loop $ol (br_if $od (i32.ge_u (local.get $ow) (local.get $hi))) ${body} (local.set $ow (i32.add (local.get $ow) (i32.const 1))) (br $ol)))`;
const rowAt4 = '(i32.add (local.get $row) (i32.shl (local.get $ow) (i32.const 2)))';
const srcAtS = '(i32.add (local.get $src) (i32.mul (local.get $ow) (local.get $sWb)))';

/**
 * im2col(x, cols, ld, C, inH, inW, kH, kW, sH, sW, dH, dW, padTop, padLeft, outH, outW): one
 * image's windows unfolded as blocks/im2col.ts's im2col does (every column entry written,
 * padding as 0). col2im(cols, ld, x, …): its adjoint, x[tap] += the column entry, rows and
 * outputs in the same order as the TypeScript loop (so the sums are bitwise the same).
 * Byte addresses; ld in elements.
 */
function columns() {
  const span = (a, b) => `(i32.sub (local.get ${b}) (local.get ${a}))`;
  const im2col = columnLoops(
    'im2col',
    '(param $x i32) (param $cols i32) (param $ld i32)',
    '(call $zero_f32 (local.get $row) (local.get $outW))',
    [
      `(call $zero_f32 (local.get $row) (local.get $lo))`,
      `(if (i32.eq (local.get $sW) (i32.const 1))`,
      `  (then (call $copy_f32 (i32.add (local.get $row) (i32.shl (local.get $lo) (i32.const 2))) (i32.add (local.get $src) (i32.shl (local.get $lo) (i32.const 2))) ${span('$lo', '$hi')}))`,
      `  (else ${stridedTaps(`(f32.store ${rowAt4} (f32.load ${srcAtS}))`)}))`,
      `(call $zero_f32 (i32.add (local.get $row) (i32.shl (local.get $hi) (i32.const 2))) ${span('$hi', '$outW')})`,
    ].join(' '),
  );
  const col2im = columnLoops(
    'col2im',
    '(param $cols i32) (param $ld i32) (param $x i32)',
    '(nop)',
    [
      `(if (i32.eq (local.get $sW) (i32.const 1))`,
      `  (then (call $add_f32 (i32.add (local.get $src) (i32.shl (local.get $lo) (i32.const 2))) (i32.add (local.get $row) (i32.shl (local.get $lo) (i32.const 2))) ${span('$lo', '$hi')}))`,
      `  (else ${stridedTaps(`(f32.store ${srcAtS} (f32.add (f32.load ${srcAtS}) (f32.load ${rowAt4})))`)}))`,
    ].join(' '),
  );
  return lines(im2col, col2im);
}

/**
 * sgd_update(w, g, v, n, lr, momentum, keep, nesterov, decay): the CPU backend's SGD step on n
 * float32 values, computed in float64 exactly as the TypeScript loop (backend.ts) computes it,
 * two values per vector: d = g + decay·w; with a velocity (v ≠ 0) v ← f32(momentum·v + keep·d)
 * (keep = 1 − dampening) and d = v, or d + momentum·v with Nesterov; w ← f32(w − lr·d).
 */
function sgdUpdate() {
  const ld2 = (a) => `(f64x2.promote_low_f32x4 (v128.load64_zero ${a}))`;
  const st2 = (a, x) => `(v128.store64_lane 0 ${a} (f32x4.demote_f64x2_zero ${x}))`;
  const ld1 = (a) => `(f64.promote_f32 (f32.load ${a}))`;
  const st1 = (a, x) => `(f32.store ${a} (f32.demote_f64 ${x}))`;
  const vec = [
    `(local.set $vd (f64x2.add ${ld2('(local.get $g)')} (f64x2.mul (local.get $decay2) ${ld2('(local.get $w)')})))`,
    `(if (local.get $v) (then`,
    `  ${st2('(local.get $v)', `(f64x2.add (f64x2.mul (local.get $mom2) ${ld2('(local.get $v)')}) (f64x2.mul (local.get $keep2) (local.get $vd)))`)}`,
    `  (local.set $vd (if (result v128) (local.get $nesterov) (then (f64x2.add (local.get $vd) (f64x2.mul (local.get $mom2) ${ld2('(local.get $v)')}))) (else ${ld2('(local.get $v)')})))`,
    `  (local.set $v (i32.add (local.get $v) (i32.const 8)))))`,
    `${st2('(local.get $w)', `(f64x2.sub ${ld2('(local.get $w)')} (f64x2.mul (local.get $lr2) (local.get $vd)))`)}`,
  ];
  const one = [
    `(local.set $sd (f64.add ${ld1('(local.get $g)')} (f64.mul (local.get $decay) ${ld1('(local.get $w)')})))`,
    `(if (local.get $v) (then`,
    `  ${st1('(local.get $v)', `(f64.add (f64.mul (local.get $momentum) ${ld1('(local.get $v)')}) (f64.mul (local.get $keep) (local.get $sd)))`)}`,
    `  (local.set $sd (if (result f64) (local.get $nesterov) (then (f64.add (local.get $sd) (f64.mul (local.get $momentum) ${ld1('(local.get $v)')}))) (else ${ld1('(local.get $v)')})))))`,
    `${st1('(local.get $w)', `(f64.sub ${ld1('(local.get $w)')} (f64.mul (local.get $lr) (local.get $sd)))`)}`,
  ];
  return lines(
    `  (func $sgd_update (export "sgd_update") (param $w i32) (param $g i32) (param $v i32) (param $n i32) (param $lr f64) (param $momentum f64) (param $keep f64) (param $nesterov i32) (param $decay f64)`,
    `    (local $vd v128) (local $sd f64) (local $lr2 v128) (local $mom2 v128) (local $keep2 v128) (local $decay2 v128)`,
    `    (local.set $lr2 (f64x2.splat (local.get $lr)))`,
    `    (local.set $mom2 (f64x2.splat (local.get $momentum)))`,
    `    (local.set $keep2 (f64x2.splat (local.get $keep)))`,
    `    (local.set $decay2 (f64x2.splat (local.get $decay)))`,
    `    (block $vd_ (loop $vl`,
    `      (br_if $vd_ (i32.lt_s (local.get $n) (i32.const 2)))`,
    ...vec.map((l) => `      ${l}`),
    `      (local.set $w (i32.add (local.get $w) (i32.const 8)))`,
    `      (local.set $g (i32.add (local.get $g) (i32.const 8)))`,
    `      (local.set $n (i32.sub (local.get $n) (i32.const 2)))`,
    `      (br $vl)))`,
    `    (if (i32.gt_s (local.get $n) (i32.const 0)) (then`,
    ...one.map((l) => `      ${l}`),
    `    ))`,
    `  )`,
  );
}

/**
 * bias_add(c, rows, cols, bias, byRow): c[i, j] += bias[i] (byRow ≠ 0: one value per row, a
 * convolution's channels) or bias[j] (one per column, a fully connected layer's outputs), four
 * columns per vector. Float32 sums, as the TypeScript loop's (a float32 sum computed in float64
 * and rounded is the correctly rounded float32 sum).
 */
function biasAdd() {
  return lines(
    `  (func $bias_add (export "bias_add") (param $c i32) (param $rows i32) (param $cols i32) (param $bias i32) (param $byRow i32)`,
    `    (local $i i32) (local $j i32) (local $bv v128) (local $bs f32) (local $b i32)`,
    `    (block $rd (loop $rl`,
    `      (br_if $rd (i32.ge_u (local.get $i) (local.get $rows)))`,
    `      ;; only read bias[i] per row (it may have fewer values than rows otherwise)`,
    `      (if (local.get $byRow) (then`,
    `        (local.set $bs (f32.load (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2)))))`,
    `        (local.set $bv (f32x4.splat (local.get $bs)))))`,
    `      (local.set $b (local.get $bias))`,
    `      (local.set $j (i32.const 0))`,
    `      (block $vd (loop $vl`,
    `        (br_if $vd (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))`,
    `        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (if (result v128) (local.get $byRow) (then (local.get $bv)) (else (v128.load (local.get $b))))))`,
    `        (local.set $c (i32.add (local.get $c) (i32.const 16)))`,
    `        (local.set $b (i32.add (local.get $b) (i32.const 16)))`,
    `        (local.set $j (i32.add (local.get $j) (i32.const 4)))`,
    `        (br $vl)))`,
    `      (block $sd (loop $sl`,
    `        (br_if $sd (i32.ge_u (local.get $j) (local.get $cols)))`,
    `        (f32.store (local.get $c) (f32.add (f32.load (local.get $c)) (if (result f32) (local.get $byRow) (then (local.get $bs)) (else (f32.load (local.get $b))))))`,
    `        (local.set $c (i32.add (local.get $c) (i32.const 4)))`,
    `        (local.set $b (i32.add (local.get $b) (i32.const 4)))`,
    `        (local.set $j (i32.add (local.get $j) (i32.const 1)))`,
    `        (br $sl)))`,
    `      (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `      (br $rl)))`,
    `  )`,
  );
}

/**
 * swap_rows(x, out, A, B, C): out[b, a, :] = x[a, b, :] for x of shape [A, B, C] (the transpose
 * [1, 0, 2] a convolution uses between [Cout, N·L] and [N, Cout, L]); rows of C floats copied.
 */
function swapRows() {
  return lines(
    `  (func $swap_rows (export "swap_rows") (param $x i32) (param $out i32) (param $A i32) (param $B i32) (param $C i32)`,
    `    (local $a i32) (local $b i32) (local $rb i32)`,
    `    (local.set $rb (i32.shl (local.get $C) (i32.const 2)))`,
    `    (block $ad (loop $al`,
    `      (br_if $ad (i32.ge_u (local.get $a) (local.get $A)))`,
    `      (local.set $b (i32.const 0))`,
    `      (block $bd (loop $bl`,
    `        (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))`,
    `        (call $copy_f32 (i32.add (local.get $out) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $A)) (local.get $a)) (local.get $rb))) (local.get $x) (local.get $C))`,
    `        (local.set $x (i32.add (local.get $x) (local.get $rb)))`,
    `        (local.set $b (i32.add (local.get $b) (i32.const 1)))`,
    `        (br $bl)))`,
    `      (local.set $a (i32.add (local.get $a) (i32.const 1)))`,
    `      (br $al)))`,
    `  )`,
  );
}

// ---- Elementwise and per-channel loops (ReLU, batch normalization) ----

/**
 * relu(x, y, n): y = x·[x > 0] + 0 and relu_grad(x, dy, dx, n): dx = dy·[x > 0] + 0, four per
 * vector, exactly the TypeScript loops' values (NaN and −∞ give NaN; −0 gives 0).
 */
function relus() {
  const one = '(v128.const f32x4 1 1 1 1)';
  const zero = '(v128.const f32x4 0 0 0 0)';
  const step = (name, ptrs, vec, scalar) => lines(
    `    (block $${name}vd (loop $${name}vl`,
    `      (br_if $${name}vd (i32.lt_s (local.get $n) (i32.const 4)))`,
    `      ${vec}`,
    ...ptrs.map((p) => `      (local.set ${p} (i32.add (local.get ${p}) (i32.const 16)))`),
    `      (local.set $n (i32.sub (local.get $n) (i32.const 4)))`,
    `      (br $${name}vl)))`,
    `    (block $${name}sd (loop $${name}sl`,
    `      (br_if $${name}sd (i32.le_s (local.get $n) (i32.const 0)))`,
    `      ${scalar}`,
    ...ptrs.map((p) => `      (local.set ${p} (i32.add (local.get ${p}) (i32.const 4)))`),
    `      (local.set $n (i32.sub (local.get $n) (i32.const 1)))`,
    `      (br $${name}sl)))`,
  );
  const mask = (x) => `(v128.and (f32x4.gt ${x} ${zero}) ${one})`;
  const smask = (x) => `(f32.convert_i32_u (f32.gt ${x} (f32.const 0)))`;
  return lines(
    `  (func $relu (export "relu") (param $x i32) (param $y i32) (param $n i32)`,
    `    (local $v v128) (local $s f32)`,
    step('r', ['$x', '$y'],
      `(local.set $v (v128.load (local.get $x))) (v128.store (local.get $y) (f32x4.add (f32x4.mul (local.get $v) ${mask('(local.get $v)')}) ${zero}))`,
      `(local.set $s (f32.load (local.get $x))) (f32.store (local.get $y) (f32.add (f32.mul (local.get $s) ${smask('(local.get $s)')}) (f32.const 0)))`),
    `  )`,
    `  (func $relu_grad (export "relu_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)`,
    step('g', ['$x', '$dy', '$dx'],
      `(v128.store (local.get $dx) (f32x4.add (f32x4.mul (v128.load (local.get $dy)) ${mask('(v128.load (local.get $x))')}) ${zero}))`,
      `(f32.store (local.get $dx) (f32.add (f32.mul (f32.load (local.get $dy)) ${smask('(f32.load (local.get $x))')}) (f32.const 0)))`),
    `  )`,
  );
}

/**
 * Loops over x viewed as [n, c, s] (plane by plane), with per-channel float64 parameters at
 * $p: $p + 8·(k·c + ch) is parameter k of channel ch. `body` runs for each plane with $a the
 * plane's first float's byte offset from its array's start and $ch its channel, and $s the plane size.
 */
function planes(name, params, locals, body) {
  return lines(
    `  (func $${name} (export "${name}") ${params} (param $n i32) (param $c i32) (param $s i32) (param $p i32)`,
    `    (local $i i32) (local $ch i32) (local $a i32) (local $j i32) ${locals}`,
    `    (block $id (loop $il`,
    `      (br_if $id (i32.ge_u (local.get $i) (local.get $n)))`,
    `      (local.set $ch (i32.const 0))`,
    `      (block $cd (loop $cl`,
    `        (br_if $cd (i32.ge_u (local.get $ch) (local.get $c)))`,
    `        (local.set $a (i32.shl (i32.mul (i32.add (i32.mul (local.get $i) (local.get $c)) (local.get $ch)) (local.get $s)) (i32.const 2)))`,
    body,
    `        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))`,
    `        (br $cl)))`,
    `      (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `      (br $il)))`,
    `  )`,
  );
}

/** Parameter k of the current channel (float64), from $p. */
const param = (k) => `(f64.load (i32.add (local.get $p) (i32.shl (i32.add (i32.mul (local.get $c) (i32.const ${k})) (local.get $ch)) (i32.const 3))))`;
/** Adds a float64 to parameter k of the current channel in place. */
const addParam = (k, x) => `(f64.store (i32.add (local.get $p) (i32.shl (i32.add (i32.mul (local.get $c) (i32.const ${k})) (local.get $ch)) (i32.const 3))) (f64.add ${param(k)} ${x}))`;
/** Two floats at byte address `a` as a float64x2, and the float64x2 `x` stored as two floats. */
const load2 = (a) => `(f64x2.promote_low_f32x4 (v128.load64_zero ${a}))`;
const store2 = (a, x) => `(v128.store64_lane 0 ${a} (f32x4.demote_f64x2_zero ${x}))`;
const load1 = (a) => `(f64.promote_f32 (f32.load ${a}))`;
const store1 = (a, x) => `(f32.store ${a} (f32.demote_f64 ${x}))`;
const hsum = (v) => `(f64.add (f64x2.extract_lane 0 ${v}) (f64x2.extract_lane 1 ${v}))`;

/** A loop over j in [0, s) of the current plane: `two` for pairs (j += 2), then `one` for a last odd value. */
const pairsThenOne = (two, one) => lines(
  `        (local.set $j (i32.const 0))`,
  `        (block $jd (loop $jl`,
  `          (br_if $jd (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $s)))`,
  `          ${two}`,
  `          (local.set $j (i32.add (local.get $j) (i32.const 2)))`,
  `          (br $jl)))`,
  `        (if (i32.lt_u (local.get $j) (local.get $s)) (then ${one}))`,
);
/** Byte address of element j of the current plane of the array at $arr. */
const at = (arr) => `(i32.add (i32.add (local.get ${arr}) (local.get $a)) (i32.shl (local.get $j) (i32.const 2)))`;

/**
 * Batch normalization's per-channel loops on float32 x viewed as [n, c, s], in float64 (two
 * values per vector). Parameters at $p (float64 per channel, see planes()):
 * - ch_sum(x, …, p): p[0·c + ch] += Σ x; ch_sq_dev(x, …, p): p[1·c + ch] += Σ (x − p[0·c + ch])²
 *   (the mean's and the variance's sums, pass by pass);
 * - ch_affine(x, y, …, p): y = p1·(x − p0) + p2 (normalize, scale and shift);
 * - ch_grad_sums(x, dy, …, p): p[1·c + ch] += Σ dy, p[2·c + ch] += Σ dy·(x − p0);
 * - ch_affine_grad(x, dy, dx, …, p): dx = p1·dy + p2·(x − p0) + p3.
 * Sums run in two interleaved float64 lanes: a different order than a sequential loop, with
 * float64 rounding (~1e-16 relative) far below float32's.
 */
function channelLoops() {
  const mu2 = '(f64x2.splat (local.get $mu))';
  return lines(
    planes('ch_sum', '(param $x i32)', '(local $acc v128) (local $t f64)', lines(
      `        (local.set $acc (v128.const f64x2 0 0))`,
      `        (local.set $t (f64.const 0))`,
      pairsThenOne(`(local.set $acc (f64x2.add (local.get $acc) ${load2(at('$x'))}))`, `(local.set $t ${load1(at('$x'))})`),
      `        ${addParam(0, `(f64.add ${hsum('(local.get $acc)')} (local.get $t))`)}`,
    )),
    planes('ch_sq_dev', '(param $x i32)', '(local $acc v128) (local $t f64) (local $mu f64) (local $d v128) (local $e f64)', lines(
      `        (local.set $mu ${param(0)})`,
      `        (local.set $acc (v128.const f64x2 0 0))`,
      `        (local.set $t (f64.const 0))`,
      pairsThenOne(
        `(local.set $d (f64x2.sub ${load2(at('$x'))} ${mu2})) (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $d) (local.get $d))))`,
        `(local.set $e (f64.sub ${load1(at('$x'))} (local.get $mu))) (local.set $t (f64.mul (local.get $e) (local.get $e)))`,
      ),
      `        ${addParam(1, `(f64.add ${hsum('(local.get $acc)')} (local.get $t))`)}`,
    )),
    planes('ch_affine', '(param $x i32) (param $y i32)', '(local $mu f64) (local $k f64) (local $b f64) (local $k2 v128) (local $b2 v128)', lines(
      `        (local.set $mu ${param(0)}) (local.set $k ${param(1)}) (local.set $b ${param(2)})`,
      `        (local.set $k2 (f64x2.splat (local.get $k))) (local.set $b2 (f64x2.splat (local.get $b)))`,
      pairsThenOne(
        store2(at('$y'), `(f64x2.add (f64x2.mul (local.get $k2) (f64x2.sub ${load2(at('$x'))} ${mu2})) (local.get $b2))`),
        store1(at('$y'), `(f64.add (f64.mul (local.get $k) (f64.sub ${load1(at('$x'))} (local.get $mu))) (local.get $b))`),
      ),
    )),
    planes('ch_grad_sums', '(param $x i32) (param $dy i32)', '(local $mu f64) (local $sd v128) (local $sx v128) (local $g v128) (local $td f64) (local $tx f64) (local $h f64)', lines(
      `        (local.set $mu ${param(0)})`,
      `        (local.set $sd (v128.const f64x2 0 0)) (local.set $sx (v128.const f64x2 0 0)) (local.set $td (f64.const 0)) (local.set $tx (f64.const 0))`,
      pairsThenOne(
        `(local.set $g ${load2(at('$dy'))}) (local.set $sd (f64x2.add (local.get $sd) (local.get $g))) (local.set $sx (f64x2.add (local.get $sx) (f64x2.mul (local.get $g) (f64x2.sub ${load2(at('$x'))} ${mu2}))))`,
        `(local.set $h ${load1(at('$dy'))}) (local.set $td (local.get $h)) (local.set $tx (f64.mul (local.get $h) (f64.sub ${load1(at('$x'))} (local.get $mu))))`,
      ),
      `        ${addParam(1, `(f64.add ${hsum('(local.get $sd)')} (local.get $td))`)}`,
      `        ${addParam(2, `(f64.add ${hsum('(local.get $sx)')} (local.get $tx))`)}`,
    )),
    planes('ch_affine_grad', '(param $x i32) (param $dy i32) (param $dx i32)', '(local $mu f64) (local $k f64) (local $q f64) (local $r f64) (local $k2 v128) (local $q2 v128) (local $r2 v128)', lines(
      `        (local.set $mu ${param(0)}) (local.set $k ${param(1)}) (local.set $q ${param(2)}) (local.set $r ${param(3)})`,
      `        (local.set $k2 (f64x2.splat (local.get $k))) (local.set $q2 (f64x2.splat (local.get $q))) (local.set $r2 (f64x2.splat (local.get $r)))`,
      pairsThenOne(
        store2(at('$dx'), `(f64x2.add (f64x2.add (f64x2.mul (local.get $k2) ${load2(at('$dy'))}) (f64x2.mul (local.get $q2) (f64x2.sub ${load2(at('$x'))} ${mu2}))) (local.get $r2))`),
        store1(at('$dx'), `(f64.add (f64.add (f64.mul (local.get $k) ${load1(at('$dy'))}) (f64.mul (local.get $q) (f64.sub ${load1(at('$x'))} (local.get $mu)))) (local.get $r))`),
      ),
    )),
  );
}

/**
 * adam_update(w, g, m, v, n, lr, beta1, keep1, beta2, keep2, c1, c2, eps, decay, decoupled): the
 * CPU backend's Adam step on n float32 values, in float64 exactly as the TypeScript loop
 * (backend.ts) computes it, two values per vector (keep1 = 1 − β1, keep2 = 1 − β2, c1 and c2 the
 * bias corrections): gi = g (+ decay·w unless decoupled); m ← f32(β1·m + keep1·gi);
 * v ← f32(β2·v + keep2·gi·gi); u = (m / c1) / (√(v / c2) + eps);
 * w ← f32(w − lr·u), or f32(w − lr·(u + decay·w)) when decoupled (AdamW).
 */
function adamUpdate() {
  const exprs = (V) => {
    const L = (a) => (V ? `(f64x2.promote_low_f32x4 (v128.load64_zero ${a}))` : `(f64.promote_f32 (f32.load ${a}))`);
    const S = (a, x) => (V ? `(v128.store64_lane 0 ${a} (f32x4.demote_f64x2_zero ${x}))` : `(f32.store ${a} (f32.demote_f64 ${x}))`);
    const t = V ? 'f64x2' : 'f64';
    const k = (name) => `(local.get $${name}${V ? '2' : ''})`;
    const gi = `$gi${V ? 'v' : 's'}`, u = `$u${V ? 'v' : 's'}`;
    return [
      `(local.set ${gi} (if (result ${V ? 'v128' : 'f64'}) (local.get $decoupled) (then ${L('(local.get $g)')}) (else (${t}.add ${L('(local.get $g)')} (${t}.mul ${k('decay')} ${L('(local.get $w)')})))))`,
      S('(local.get $m)', `(${t}.add (${t}.mul ${k('beta1')} ${L('(local.get $m)')}) (${t}.mul ${k('keep1')} (local.get ${gi})))`),
      S('(local.get $v)', `(${t}.add (${t}.mul ${k('beta2')} ${L('(local.get $v)')}) (${t}.mul (${t}.mul ${k('keep2')} (local.get ${gi})) (local.get ${gi})))`),
      `(local.set ${u} (${t}.div (${t}.div ${L('(local.get $m)')} ${k('c1')}) (${t}.add (${t}.sqrt (${t}.div ${L('(local.get $v)')} ${k('c2')})) ${k('eps')})))`,
      `(if (local.get $decoupled) (then (local.set ${u} (${t}.add (local.get ${u}) (${t}.mul ${k('decay')} ${L('(local.get $w)')})))))`,
      S('(local.get $w)', `(${t}.sub ${L('(local.get $w)')} (${t}.mul ${k('lr')} (local.get ${u})))`),
    ];
  };
  const names = ['lr', 'beta1', 'keep1', 'beta2', 'keep2', 'c1', 'c2', 'eps', 'decay'];
  return lines(
    `  (func $adam_update (export "adam_update") (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) ${names.map((x) => `(param $${x} f64)`).join(' ')} (param $decoupled i32)`,
    `    ${names.map((x) => `(local $${x}2 v128)`).join(' ')} (local $giv v128) (local $uv v128) (local $gis f64) (local $us f64)`,
    ...names.map((x) => `    (local.set $${x}2 (f64x2.splat (local.get $${x})))`),
    `    (block $vd (loop $vl`,
    `      (br_if $vd (i32.lt_s (local.get $n) (i32.const 2)))`,
    ...exprs(true).map((l) => `      ${l}`),
    ...['$w', '$g', '$m', '$v'].map((p) => `      (local.set ${p} (i32.add (local.get ${p}) (i32.const 8)))`),
    `      (local.set $n (i32.sub (local.get $n) (i32.const 2)))`,
    `      (br $vl)))`,
    `    (if (i32.gt_s (local.get $n) (i32.const 0)) (then`,
    ...exprs(false).map((l) => `      ${l}`),
    `    ))`,
    `  )`,
  );
}

/**
 * first_nonfinite(x, n): the index of the first NaN or ±Inf among n floats at x, or −1. Clean
 * path: v·0 summed four lanes at a time (0 for finite v, NaN otherwise) and tested once per 64
 * values; a block that is not clean is searched one value at a time.
 */
function firstNonFinite() {
  return lines(
    `  (func $first_nonfinite (export "first_nonfinite") (param $x i32) (param $n i32) (result i32)`,
    `    (local $i i32) (local $acc v128) (local $k i32) (local $end i32) (local $v f32)`,
    `    (block $done (loop $blocks`,
    `      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 64)) (local.get $n)))`,
    `      (local.set $acc (v128.const f32x4 0 0 0 0))`,
    ...range(16).map((q) => `      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load offset=${16 * q} (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))) (v128.const f32x4 0 0 0 0))))`),
    `      ;; NaN ≠ NaN: a lane unequal to itself marks the block`,
    `      (br_if $done (v128.any_true (f32x4.ne (local.get $acc) (local.get $acc))))`,
    `      (local.set $i (i32.add (local.get $i) (i32.const 64)))`,
    `      (br $blocks)))`,
    `    ;; the rest, or the marked block: one value at a time`,
    `    (block $found (loop $one`,
    `      (br_if $found (i32.ge_u (local.get $i) (local.get $n)))`,
    `      (local.set $v (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))`,
    `      (if (f32.ne (f32.mul (local.get $v) (f32.const 0)) (f32.mul (local.get $v) (f32.const 0))) (then (return (local.get $i))))`,
    `      (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `      (br $one)))`,
    `    (i32.const -1)`,
    `  )`,
  );
}

const MEMORY = '  (import "env" "memory" (memory 1 65536 shared))';

/**
 * The two module texts. `kernels`: packing, Winograd transforms, window loops; `gemm`: the
 * micro-kernel sweep, with MADD still to expand per variant (it is the only code that differs
 * between plain and relaxed SIMD, so the variants ship as two small modules beside one large
 * one). Both import the shared memory; a private-memory copy is made at run time by clearing
 * the import's shared flag (wasm-kernels.ts), so no second set of modules ships.
 */
function moduleTexts() {
  const head = (what) => [
    `;; Generated by packages/backend-cpu/wasm/build.mjs: edit that file, not this one.`,
    `;; ${what}`,
    `(module`,
    MEMORY,
  ];
  return {
    gemm: lines(
      ...head(`The GEMM micro-kernel sweep. MADD $x stands for "$x ← a·b + $x" with a and b on the stack: in the simd module f32x4.mul then f32x4.add, in the relaxed module f32x4.relaxed_madd.`),
      gemmBlock(),
      gemvT(),
      `)`,
      ``,
    ),
    kernels: lines(
      ...head(`Packing, Winograd F(2×2, r×r) transforms and window loops, on the shared memory.`),
      packA(),
      packB(),
      addBlock(),
      winoIn(4),
      winoIn(6),
      winoOut(4),
      winoOut(6),
      winoGrad(4),
      winoGrad(6),
      winoFilt(3),
      winoFilt(5),
      planeCopies(),
      maxPool2(),
      rowMoves(),
      columns(),
      sgdUpdate(),
      adamUpdate(),
      firstNonFinite(),
      biasAdd(),
      swapRows(),
      relus(),
      channelLoops(),
      `)`,
      ``,
    ),
  };
}

function expand(text, variant) {
  return text.replace(/^(\s*)MADD (\$\S+)$/gm, (_, ind, x) =>
    variant === 'relaxed'
      ? `${ind}local.get ${x}\n${ind}f32x4.relaxed_madd\n${ind}local.set ${x}`
      : `${ind}f32x4.mul\n${ind}local.get ${x}\n${ind}f32x4.add\n${ind}local.set ${x}`,
  );
}

const wabt = await wabtInit();
function assemble(text, name) {
  const features = { simd: true, relaxed_simd: true, threads: true, bulk_memory: true };
  const mod = wabt.parseWat(`${name}.wat`, text, features);
  mod.resolveNames();
  mod.validate(features);
  const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
  mod.destroy();
  return Buffer.from(buffer);
}

const texts = moduleTexts();
const modules = {
  kernels: assemble(texts.kernels, 'kernels'),
  gemm_simd: assemble(expand(texts.gemm, 'simd'), 'gemm-simd'),
  gemm_relaxed: assemble(expand(texts.gemm, 'relaxed'), 'gemm-relaxed'),
};
const text = `${texts.gemm}\n${texts.kernels}`;
const ts = lines(
  `// Generated by packages/backend-cpu/wasm/build.mjs from the text in kernels.wat: do not edit.`,
  `// Rebuild with \`node wasm/build.mjs\` in packages/backend-cpu (part of its build script).`,
  ``,
  `/** Micro-tile rows (MR) and columns (NR) the kernels were built for. */`,
  `export const WASM_TILE = { mr: ${MR}, nr: ${NR} } as const;`,
  `/**`,
  ` * The assembled modules, base64, each importing the shared memory "env"."memory": \`kernels\``,
  ` * (packing, Winograd, windows) and the GEMM micro-kernel sweep with plain 128-bit SIMD`,
  ` * (multiply, then add) or relaxed-SIMD fused multiply-add.`,
  ` */`,
  `export const WASM_MODULES = {`,
  ...Object.entries(modules).map(([k, b]) => `  ${k}: '${b.toString('base64')}',`),
  `} as const;`,
  ``,
);
const outputs = { 'kernels.wat': text, 'kernels-bytes.ts': ts };
if (process.argv.includes('--check')) {
  const stale = Object.entries(outputs).filter(([f, s]) => {
    try {
      return readFileSync(join(srcDir, f), 'utf8') !== s;
    } catch {
      return true;
    }
  });
  if (stale.length) {
    console.error(`wasm build: out of date: ${stale.map(([f]) => `src/wasm/${f}`).join(', ')} (run node wasm/build.mjs in packages/backend-cpu)`);
    process.exit(1);
  }
  console.log('wasm build: up to date');
} else {
  for (const [f, s] of Object.entries(outputs)) writeFileSync(join(srcDir, f), s);
  console.log(`wasm build: ${Object.entries(modules).map(([k, b]) => `${k} ${b.length} B`).join(', ')}`);
}
