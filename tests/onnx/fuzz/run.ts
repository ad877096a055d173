/**
 * `pnpm fuzz [--runs N] [--seed S] [--jobs J] [--timeout-ms T] [--out DIR] [--json]`:
 * mutates real .onnx files (every zoo model, exported, and ONNX's conformance models) and
 * feeds each mutant to importOnnx (CPU backend, every layer plugin) and inspectOnnx. Every
 * outcome must be a model (or text) or a HubelError; an exception of any other type, an input
 * running past the time limit (the worker is stopped and restarted), or memory growing past
 * the bound (see FuzzLimits in target.ts) is a failure. Failing inputs are saved under DIR
 * (default out/fuzz-failures) as SEED-INDEX.onnx with a .json beside it saying what was done
 * and what happened. Prints a summary (JSON with --json) and exits 1 on any failure.
 *
 * Replay: `pnpm fuzz --seed S --only K` runs input K of seed S and prints the verdict;
 * `pnpm fuzz --replay FILE.onnx...` runs saved files. Replays run in this process, so an
 * input that hangs is not stopped (its verdict reports the time taken when it ends).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildCorpus } from './corpus.js';
import { mutant, prepareCorpus } from './mutate.js';
import { runFuzz } from './runner.js';
import { createTarget, DEFAULT_LIMITS, runInput, type InputResult } from './target.js';

interface Args {
  runs: number;
  seed: number;
  jobs: number;
  start: number;
  timeoutMs: number;
  out: string;
  json: boolean;
  only?: number;
  replay: string[];
}

const USAGE = 'usage: pnpm fuzz [--runs N] [--seed S] [--jobs J] [--start K] [--timeout-ms T] [--out DIR] [--json] | --seed S --only K | --replay FILE...';

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { runs: 10_000, seed: (Date.now() ^ (process.pid << 16)) >>> 0, jobs: 1, start: 0, timeoutMs: DEFAULT_LIMITS.timeMs, out: 'out/fuzz-failures', json: false, replay: [] };
  const int = (flag: string, v: string | undefined, min = 0): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, found ${v ?? 'nothing'}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const [flag, inline] = f.includes('=') ? [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] : [f, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case '--': break;
      case '--runs': a.runs = int(flag, val(), 1); break;
      case '--seed': a.seed = int(flag, val()) >>> 0; break;
      case '--jobs': a.jobs = int(flag, val(), 1); break;
      case '--start': a.start = int(flag, val()); break;
      case '--timeout-ms': a.timeoutMs = int(flag, val(), 1); break;
      case '--out': a.out = val() ?? a.out; break;
      case '--json': a.json = true; break;
      case '--only': a.only = int(flag, val()); break;
      case '--replay': while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) a.replay.push(argv[++i]); break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument '${f}'\n${USAGE}`);
    }
  }
  return a;
}

const root = resolve(import.meta.dirname, '../../..');

function describe(r: InputResult): Record<string, unknown> {
  return { failures: r.failures, import: r.import, inspect: r.inspect, ms: Math.round(r.ms * 10) / 10, memory: r.memory };
}

async function fuzz(a: Args): Promise<number> {
  const log = (s: string) => {
    if (!a.json) process.stderr.write(`${s}\n`);
  };
  const { summary: s, tally: t } = await runFuzz({ runs: a.runs, seed: a.seed, start: a.start, jobs: a.jobs, limits: { timeMs: a.timeoutMs }, outDir: resolve(root, a.out), log });
  mkdirSync(resolve(root, 'out'), { recursive: true });
  writeFileSync(resolve(root, 'out/fuzz-summary.json'), `${JSON.stringify(s, null, 2)}\n`);
  if (a.json) {
    console.log(JSON.stringify(s, null, 2));
    return s.failures ? 1 : 0;
  }
  const counts = (m: Readonly<Record<string, number>>) => Object.entries(m).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log([
    `fuzz: seed ${s.seed}: ${s.runs} inputs (${s.inputsJudged} judged) in ${s.wallSeconds} s (${s.runsPerSecond}/s, ${s.jobs} worker(s))`,
    `importOnnx:  ${counts(t.importOutcomes)}`,
    `inspectOnnx: ${counts(t.inspectOutcomes)}`,
    `most frequent import errors (of ${s.distinctImportErrorKinds} kinds):`,
    ...s.importErrorKinds.slice(0, 12).map((e) => `  ${String(e.count).padStart(7)}  ${e.kind}`),
    `time per input: mean ${s.timing.meanMs} ms, max ${s.timing.maxMs} ms; largest growth: ${JSON.stringify(s.memory)}`,
    `failures: ${s.failures}${s.failures ? ` ${JSON.stringify(s.failureKinds)}; saved: ${s.saved}` : ''}`,
    `(full summary in out/fuzz-summary.json)`,
  ].join('\n'));
  return s.failures ? 1 : 0;
}

async function replay(a: Args): Promise<number> {
  const target = createTarget({ limits: { timeMs: a.timeoutMs } });
  const inputs: { name: string; bytes: Uint8Array; ops?: readonly string[] }[] = [];
  if (a.only !== undefined) {
    const m = mutant(prepareCorpus(await buildCorpus()), a.seed, a.only);
    inputs.push({ name: `seed ${a.seed} input ${a.only} (${m.source})`, bytes: m.bytes, ops: m.ops });
  }
  for (const f of a.replay) inputs.push({ name: f, bytes: new Uint8Array(readFileSync(f)) });
  let failed = 0;
  for (const i of inputs) {
    const r = runInput(target, i.bytes);
    if (r.failures.length) failed++;
    console.log(JSON.stringify({ input: i.name, mutations: i.ops, bytes: i.bytes.length, ...describe(r) }, null, 2));
  }
  return failed ? 1 : 0;
}

try {
  const a = parseArgs(process.argv.slice(2));
  process.exitCode = a.only !== undefined || a.replay.length ? await replay(a) : await fuzz(a);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
}
