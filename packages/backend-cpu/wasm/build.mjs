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

/** The module text, with MADD still to expand. */
function moduleText() {
  return lines(
    `;; Generated by packages/backend-cpu/wasm/build.mjs: edit that file, not this one.`,
    `;; MADD $x stands for "$x ← a·b + $x" with a and b on the stack: in the simd module`,
    `;; f32x4.mul then f32x4.add, in the relaxed module f32x4.relaxed_madd.`,
    `(module`,
    `  (memory (export "memory") 1)`,
    gemmBlock(),
    `)`,
    ``,
  );
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
  const mod = wabt.parseWat(`${name}.wat`, text, { simd: true, relaxed_simd: true });
  mod.resolveNames();
  mod.validate();
  const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
  mod.destroy();
  return Buffer.from(buffer);
}

const text = moduleText();
const simd = assemble(expand(text, 'simd'), 'simd');
const relaxed = assemble(expand(text, 'relaxed'), 'relaxed');
const ts = lines(
  `// Generated by packages/backend-cpu/wasm/build.mjs from the text in kernels.wat: do not edit.`,
  `// Rebuild with \`node wasm/build.mjs\` in packages/backend-cpu (part of its build script).`,
  ``,
  `/** Micro-tile rows (MR) and columns (NR) the kernels were built for. */`,
  `export const WASM_TILE = { mr: ${MR}, nr: ${NR} } as const;`,
  `/** The kernels with plain 128-bit SIMD (multiply, then add), base64. */`,
  `export const SIMD_WASM = '${simd.toString('base64')}';`,
  `/** The same kernels with relaxed-SIMD fused multiply-add, base64. */`,
  `export const RELAXED_WASM = '${relaxed.toString('base64')}';`,
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
  console.log(`wasm build: simd ${simd.length} B, relaxed ${relaxed.length} B`);
}
