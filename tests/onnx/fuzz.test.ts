// CI's share of `pnpm fuzz`: a few thousand mutants of the zoo exports and ONNX's conformance
// models, with a fixed seed, through the same worker-thread runner (2 s per input, memory
// bound per input). Every input must end in a model or a HubelError.
import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz/runner.js';

/** Inputs CI runs; `pnpm fuzz --runs 100000` runs many more with fresh seeds. */
const RUNS = 5000;
/** Fixed so that a failure here is replayed by `pnpm fuzz --seed 20240917 --only INDEX`. */
const SEED = 20240917;

describe('fuzzing importOnnx and inspectOnnx with mutated real files', () => {
  it(`${RUNS} mutants (seed ${SEED}) each import or throw a HubelError, within time and memory limits`, { timeout: 240_000 }, async () => {
    const { summary } = await runFuzz({ runs: RUNS, seed: SEED, jobs: 1 });
    const report = summary.failureList.map((f) => `#${f.index} ${f.source} [${f.mutations.join('; ')}]: ${f.reasons.join(' | ')}`).join('\n');
    expect(summary.failures, `failures (replay with pnpm fuzz --seed ${SEED} --only INDEX):\n${report}`).toBe(0);
    expect(summary.inputsJudged).toBe(RUNS);
    // The mutants reach past the decoder: some still import, and the importer's own checks fire.
    expect(summary.importOutcomes.model ?? 0).toBeGreaterThan(RUNS / 20);
    expect(summary.distinctImportErrorKinds).toBeGreaterThan(40);
    expect(summary.corpus.zoo).toHaveLength(8);
    expect(summary.corpus.conformance).toBeGreaterThan(200);
  });
});
