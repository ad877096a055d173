import { Registry, layerLabel, type Backend, type LayerCase, type Plugin } from '@hubel/core';
import { runCase, type CaseResult } from '@hubel/core/testing';

/** The test-runner function the suite registers with (vitest's or jest's `it`/`test`). */
export type TestFn = (name: string, fn: () => Promise<void>, timeoutMs?: number) => void;

/** Options of the CPU-vs-WebGPU parity suite. */
export interface ParityOptions {
  /** The test runner's `it`/`test`: one test is registered per case. */
  readonly test: TestFn;
  /** The backend under test (usually `gpu.backend` from `gpuBackendOrSkip`). */
  readonly backend: () => Backend | Promise<Backend>;
  /** The float32 reference, e.g. `() => createCpuBackend()`. */
  readonly reference: () => Backend | Promise<Backend>;
  /** Plugins the cases also need (layers used by the cases of another plugin). */
  readonly with?: readonly Plugin[];
  /** Cases to run; default the plugin's own `cases`. */
  readonly cases?: readonly LayerCase[];
  /** Seed of the inputs and parameters; default 1 (printed in failures). */
  readonly seed?: number;
  /** Per-test timeout; default 60 000 ms. */
  readonly timeoutMs?: number;
}

const U = 2 ** -24; // float32 unit roundoff

/**
 * Tolerance for comparing two float32 evaluations of a case, from its longest reduction L.
 *
 * Every value a case produces is (at worst) a sum of L terms, where L is bounded by the largest
 * tensor in the case (a gradient of a parameter sums over every output it touches; a loss
 * sums over all its inputs). Each backend's float32 sum is within γ_L·Σ|tᵢ| of the exact one
 * (γ_L = L·u/(1 − L·u), Higham Thm 3.1), so the two differ by at most 2γ_L·Σ|tᵢ|. Σ|tᵢ| is
 * not observable from the results; the cases draw O(1) inputs and fan-in-scaled weights, so we
 * take Σ|tᵢ| ≤ 4·(‖ref‖∞ + 1), i.e. allow cancellation by a factor of 4 below the largest value
 * (plus one for values near zero). L is floored at 64 to cover WGSL's transcendental functions
 * (exp, log, tanh: a few ULP for |x| ≲ 10, WGSL §17.6) on cases with tiny tensors.
 */
export function parityTolerance(longestReduction: number, refMaxAbs: number): number {
  const L = Math.max(64, longestReduction);
  const gamma = (L * U) / (1 - L * U);
  return 2 * gamma * 4 * (refMaxAbs + 1);
}

/** Longest reduction bound of a case: the largest tensor among its outputs and gradients (same sizes as inputs and parameters). */
export function longestReduction(r: CaseResult): number {
  return Math.max(...[...Object.values(r.outputs), ...Object.values(r.grads)].map((a) => a.length));
}

/**
 * Compares two runs of a case: the same outputs and gradients, each within
 * `parityTolerance`. Returns an empty string when they agree, else a report of every mismatch.
 */
export function compareCaseResults(ref: CaseResult, got: CaseResult, label: string): string {
  const L = longestReduction(ref);
  const problems: string[] = [];
  const groups = [['output', ref.outputs, got.outputs], ['gradient', ref.grads, got.grads]] as const;
  for (const [kind, want, have] of groups) {
    const keys = new Set([...Object.keys(want), ...Object.keys(have)]);
    for (const k of keys) {
      const a = want[k];
      const b = have[k];
      if (!a || !b) {
        problems.push(`${kind} '${k}' is missing on the ${a ? 'tested' : 'reference'} backend`);
        continue;
      }
      if (a.length !== b.length) {
        problems.push(`${kind} '${k}' has ${b.length} values, the reference ${a.length}`);
        continue;
      }
      let maxAbs = 0;
      for (const v of a) maxAbs = Math.max(maxAbs, Math.abs(v));
      const tol = parityTolerance(L, maxAbs);
      let worst = -1;
      let worstErr = 0;
      for (let i = 0; i < a.length; i++) {
        const err = Math.abs(a[i] - b[i]);
        if (!(err <= worstErr) || Number.isNaN(err)) {
          worstErr = Number.isNaN(err) ? Infinity : err;
          worst = i;
        }
      }
      if (worstErr > tol) problems.push(`${kind} '${k}'[${worst}]: reference ${a[worst]}, tested ${b[worst]} (|diff| ${worstErr.toExponential(2)} > tolerance ${tol.toExponential(2)}, L = ${L})`);
    }
  }
  return problems.length ? `${label}:\n  ${problems.join('\n  ')}` : '';
}

/**
 * Registers one test per case of `plugin`: the case runs forward and backward (seeded inputs,
 * parameters and projection, `runCase`) on the reference backend and on the backend under
 * test, and every output and gradient must agree within `parityTolerance`. A third party runs
 * it on its own layer with one call:
 * `parityPlugin(myLayers, { test: it, backend: () => gpu.backend!, reference: () => createCpuBackend() })`.
 * Cases that declare `skip: { webgpu: reason }` or `skipSuites: { parity: reason }` are not
 * registered, and the reason is printed.
 */
export function parityPlugin(plugin: Plugin, o: ParityOptions): void {
  const registry = new Registry().use(plugin, ...(o.with ?? []));
  const seed = o.seed ?? 1;
  for (const c of o.cases ?? plugin.cases ?? []) {
    const title = `${layerLabel(c.layer)} ${c.name}: outputs, ∂C/∂x and ∂C/∂w match the reference`;
    const reason = c.skipSuites?.parity ?? c.skip?.webgpu;
    if (reason) {
      console.info(`[parity] not checked: ${title} — ${reason}`);
      continue;
    }
    o.test(
      title,
      async () => {
        const [ref, tested] = [await o.reference(), await o.backend()];
        const want = await runCase(c, ref, { registry, seed });
        const got = await runCase(c, tested, { registry, seed });
        const report = compareCaseResults(want, got, `${layerLabel(c.layer)} '${c.name}' (seed ${seed}, ${tested.name} vs ${ref.name}/${ref.floatType})`);
        if (report) throw new Error(report);
      },
      o.timeoutMs ?? 60_000,
    );
  }
}
