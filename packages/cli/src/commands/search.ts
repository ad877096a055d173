import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { setGemmThreads } from '@hubel/backend-cpu';
import { HubelError, type ArrayDataset, type Backend, type HubelErrorCode, type Registry } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR } from '@hubel/data';
import { writeFileAtomic } from '@hubel/io';
import {
  formatConfig,
  formatLeaderboard,
  gridConfigs,
  halvingRungs,
  holdoutFold,
  parseSearchSpace,
  randomConfigs,
  rankTrials,
  removeTrialCheckpoints,
  retrainConfig,
  runTrial,
  searchPlotSvg,
  stratifiedFolds,
  type SearchConfig,
  type SearchSpace,
  type TrialRecord,
  type TrialResult,
} from '@hubel/lab';
import { BatchNormFinalizer } from '@hubel/layers-norm';
import type { ZooEntry } from '@hubel/models';
import { parseArgs, UsageError, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';
import { imageTarget, loadPooledTrainingData, type ResizeChoice } from '../image-data.js';
import { activePluginFiles, loadPluginFiles, withPlugins } from '../plugins.js';
import { cliRegistry, cliZooEntry, createBackend } from '../runtime.js';

export const searchFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'NAME', help: 'zoo model: fashion, lenet, mlp, …', default: 'fashion' },
  data: { kind: 'string', meta: 'DIR', help: 'directory of MNIST-format IDX files (train-*, t10k-* for --retrain), or of PNG/JPEG images in one sub-folder per class (optionally inside train/, val/, test/): the training and validation images are folded, test images kept for --retrain', default: 'the bundled Fashion-MNIST sample' },
  space: { kind: 'string', meta: 'SPEC|FILE.json', help: 'search space: KEY=MIN..MAX[:log] or KEY=A|B|…, comma-separated, keys lr, wd, batch, optimizer, schedule, dropout, hidden; or a JSON file of the same' },
  strategy: { kind: 'string', oneOf: ['grid', 'random', 'halving'], help: 'grid (every combination), random (seeded draws) or halving (successive halving of random draws)', default: 'random' },
  trials: { kind: 'int', meta: 'N', help: 'configurations to draw (random, halving)', default: '12' },
  folds: { kind: 'int', meta: 'K', help: 'K-fold cross-validation, folds stratified by class and fixed by --seed; 1: hold out --validation of the training set', default: '3' },
  validation: { kind: 'number', meta: 'F', help: 'with --folds 1: fraction of each class held out for validation', default: '0.2' },
  epochs: { kind: 'int', meta: 'E', help: 'epochs per fold (halving: of the first round, doubled each round)', default: '1' },
  eta: { kind: 'int', meta: 'η', help: 'halving: keep the best 1/η of each round', default: '3' },
  points: { kind: 'int', meta: 'N', help: 'grid: values per range dimension', default: '3' },
  split: { kind: 'string', meta: 'TRAIN,VAL,TEST', help: 'image folder of class folders: fractions of each class for training, validation and test (seeded by --seed); training and validation are folded', default: '0.8,0.1,0.1' },
  resize: { kind: 'string', oneOf: ['none', 'area', 'bilinear'], help: 'image folders: resize images that are not the model\'s input size (area average or bilinear); none rejects them', default: 'none' },
  limit: { kind: 'int', meta: 'N', help: 'use only the first N training images (image folders: N per part, classes in turn)' },
  seed: { kind: 'int', meta: 'S', help: 'seed of the draws, the folds and every trial', default: '1' },
  jobs: { kind: 'int', meta: 'J', help: 'trials run in J worker processes at once, each with ⌊cores/J⌋ GEMM threads (J ≤ cores)', default: '1' },
  retrain: { kind: 'boolean', help: 'at the end, train the best configuration on the whole training set (its epochs) and report its test error in best.json' },
  out: { kind: 'string', meta: 'DIR', help: 'output directory (running again with the same settings resumes)', default: 'search' },
};

/** The settings stored in DIR/search.json; a rerun must match them to resume. */
interface SearchSettings {
  readonly model: string;
  readonly data: string;
  readonly space: SearchSpace;
  readonly strategy: string;
  readonly trials: number;
  readonly folds: number;
  readonly validation: number;
  readonly epochs: number;
  readonly eta: number;
  readonly points: number;
  readonly limit: number | null;
  readonly seed: number;
  /** Image folders: `--split` as given (null: not given). */
  readonly split?: string | null;
  /** Image folders: `--resize` (null: not given, 'none'). */
  readonly resize?: ResizeChoice | null;
}

/** Where a search keeps the checkpoints of its unfinished trials. */
const checkpointDir = (out: string) => join(out, 'checkpoints');

const FLAG_OF: Record<keyof SearchSettings, string> = { model: 'model', data: 'data', space: 'space', strategy: 'strategy', trials: 'trials', folds: 'folds', validation: 'validation', epochs: 'epochs', eta: 'eta', points: 'points', limit: 'limit', seed: 'seed', split: 'split', resize: 'resize' };

/**
 * `hubel search`: hyperparameter search with K-fold cross-validation (or a hold-out) over a
 * zoo model's training settings. Each finished trial is appended to DIR/trials.jsonl; a rerun
 * with the same settings skips finished trials and continues an interrupted one from its
 * checkpoints in DIR/checkpoints (written after every epoch and on Ctrl-C); at the end DIR/leaderboard.md and
 * DIR/best.json. Returns the exit code (0 done, 130 interrupted).
 */
export async function search(argv: readonly string[], ctx: CliContext): Promise<number> {
  if (argv[0] === WORKER_FLAG) return searchWorker(ctx);
  const { flags, positionals } = parseArgs(argv, searchFlags, 'search');
  if (positionals.length) throw new UsageError(`hubel search: unexpected argument '${positionals[0]}'`);
  if (flags.space === undefined) throw new UsageError('hubel search: --space is required (e.g. --space lr=1e-4..1e-2:log,batch=32|64)');
  const s: SearchSettings = {
    model: (flags.model as string | undefined) ?? 'fashion',
    data: resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR),
    space: readSpace(flags.space as string),
    strategy: (flags.strategy as string | undefined) ?? 'random',
    trials: (flags.trials as number | undefined) ?? 12,
    folds: (flags.folds as number | undefined) ?? 3,
    validation: (flags.validation as number | undefined) ?? 0.2,
    epochs: (flags.epochs as number | undefined) ?? 1,
    eta: (flags.eta as number | undefined) ?? 3,
    points: (flags.points as number | undefined) ?? 3,
    limit: (flags.limit as number | undefined) ?? null,
    seed: (flags.seed as number | undefined) ?? 1,
    split: (flags.split as string | undefined) ?? null,
    resize: (flags.resize as ResizeChoice | undefined) ?? null,
  };
  const bad = (flag: string, want: string, found: unknown) => new HubelError('attribute', `hubel search: --${flag} must be ${want}, found ${found}`);
  if (!(s.trials >= 1)) throw bad('trials', 'at least 1', s.trials);
  if (!(s.folds >= 1)) throw bad('folds', 'at least 1', s.folds);
  if (!(s.epochs >= 1)) throw bad('epochs', 'at least 1', s.epochs);
  if (!(s.eta >= 2)) throw bad('eta', 'at least 2', s.eta);
  if (!(s.points >= 2)) throw bad('points', 'at least 2', s.points);
  if (s.limit !== null && !(s.limit >= 2)) throw bad('limit', 'at least 2', s.limit);
  if (!(s.validation > 0 && s.validation < 1)) throw bad('validation', 'a fraction in (0, 1)', s.validation);
  const entry = cliZooEntry(s.model);
  for (const d of s.space) {
    if ((d.key === 'hidden' || d.key === 'dropout') && !entry.knobs?.includes(d.key)) throw new HubelError('attribute', `--space: model '${s.model}' has no ${d.key} option (its options: ${entry.knobs?.join(', ') || 'none'})`);
  }
  const jobs = (flags.jobs as number | undefined) ?? 1;
  const cores = availableParallelism();
  if (!(jobs >= 1 && jobs <= cores)) throw bad('jobs', `between 1 and the ${cores} cores`, jobs);
  const out = resolve((flags.out as string | undefined) ?? 'search');
  ensureWritableDir(out);
  // The data is read before the settings are stored, so that bad --data leaves no search.json behind.
  const { dataset, folds, runFolds, test, classNames, summary } = await searchData(s, entry, (m) => ctx.stderr(`${m}\n`));
  const testSet = flags.retrain ? await test() : undefined;
  if (flags.retrain && !testSet) throw new HubelError('attribute', `hubel search: --retrain measures the test error, but ${s.data} has no test images`);
  await checkOrStoreSettings(out, s);
  const [c, h, w] = dataset.inputShape;
  ctx.stderr(`data: ${s.data}${summary}: ${dataset.length} images to ${s.folds >= 2 ? 'fold' : 'split'}${testSet ? `, ${testSet.length} test images` : ''} of ${c}×${h}×${w}, ${classNames.length} classes\n`);
  ctx.stderr(s.folds >= 2 ? `folds: ${s.folds} stratified by class, of ${foldSizes(folds, s.folds).join(', ')} images\n` : `hold-out: ${foldSizes(folds, 2)[1]} of ${dataset.length} images for validation, stratified by class\n`);
  const configs: SearchConfig[] = s.strategy === 'grid' ? gridConfigs(s.space, s.points) : randomConfigs(s.space, s.trials, s.seed);
  ctx.stderr(`search: ${s.strategy} over ${configs.length} configurations of ${s.model}, ${s.folds >= 2 ? `${s.folds}-fold cross-validation` : `${s.validation} held out`} on ${dataset.length} images\n`);

  const trialsPath = join(out, 'trials.jsonl');
  const done = readTrials(trialsPath);
  const key = (index: number, epochs: number) => `${index}@${epochs}`;
  const finished = new Map(done.map((t) => [key(t.index, t.epochs), t]));
  if (finished.size) ctx.stderr(`resuming: ${finished.size} finished trials in ${trialsPath}\n`);

  const registry = cliRegistry();
  const backend = await createBackend(registry, 'cpu');
  const abort = new AbortController();
  let interrupts = 0;
  const release = ctx.onInterrupt(() => {
    if (++interrupts > 1) {
      ctx.stderr('\nsecond Ctrl-C: exiting now\n');
      process.exit(130);
    }
    ctx.stderr('\nCtrl-C: stopping after this batch and checkpointing the running trial (finished trials are kept; run the same command again to resume)\n');
    abort.abort();
  });
  const workers = jobs > 1 ? Array.from({ length: jobs }, () => new TrialWorker(s, out, Math.max(1, Math.floor(cores / jobs)), activePluginFiles())) : [];
  if (workers.length) ctx.stderr(`jobs: ${jobs} worker processes, ${workers[0].threads} GEMM thread${workers[0].threads > 1 ? 's' : ''} each\n`);
  abort.signal.addEventListener('abort', () => workers.forEach((w) => w.kill()));
  const trial = (index: number, config: SearchConfig, epochs: number, log: (m: string) => void): Promise<TrialResult | undefined> =>
    runTrial({ model: s.model, entry, registry, backend, data: dataset, folds, runFolds, config, epochs, seed: s.seed, index, plugins: () => [new BatchNormFinalizer()], signal: abort.signal, checkpoints: checkpointDir(out), log });
  try {
    const rounds = s.strategy === 'halving' ? halvingRungs(configs.length, s.epochs, s.eta) : [{ rung: 0, configs: configs.length, epochs: s.epochs }];
    let survivors = configs.map((_, i) => i);
    let count = 0;
    const total = rounds.reduce((n, r) => n + r.configs, 0);
    for (const round of rounds) {
      if (round.rung > 0) {
        // The best of the previous round by mean validation error (index breaks ties), as recorded.
        const prev = rounds[round.rung - 1].epochs;
        survivors = survivors.map((i) => finished.get(key(i, prev))!).sort((a, b) => a.mean - b.mean || a.index - b.index).slice(0, round.configs).map((t) => t.index);
        ctx.stderr(`halving: round ${round.rung + 1}, ${survivors.length} configurations at ${round.epochs} epochs\n`);
      }
      let failed = false;
      const queue = survivors.map((index) => ({ index, n: ++count })).filter((t) => !finished.has(key(t.index, round.epochs)));
      // Each lane (one worker process, or the only one in-process) takes the next trial of the
      // queue; results are appended as they finish, and the leaderboard depends on them only.
      const lane = async (worker?: TrialWorker): Promise<boolean> => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const config = configs[t.index];
          ctx.stderr(`trial ${t.n}/${total} [${formatConfig(config)}], ${round.epochs} epoch${round.epochs > 1 ? 's' : ''}…\n`);
          let result: TrialResult | undefined;
          try {
            result = worker ? await worker.run(t.index, config, round.epochs) : await trial(t.index, config, round.epochs, (m) => ctx.stderr(`trial ${t.n}/${total}: ${m}\n`));
          } catch (e) {
            failed = true;
            throw e;
          }
          // Another lane failed: its error is the command's; the workers were stopped because of it.
          if (failed) return false;
          if (!result) {
            ctx.stderr(`interrupted in trial ${t.n}/${total} (its checkpoints are in ${checkpointDir(out)})\n`);
            return false;
          }
          const record: TrialRecord = { index: t.index, config, epochs: round.epochs, ...result };
          appendFileSync(trialsPath, `${JSON.stringify(record)}\n`);
          removeTrialCheckpoints(checkpointDir(out), t.index, round.epochs, runFolds);
          finished.set(key(t.index, round.epochs), record);
          ctx.stderr(`trial ${t.n}/${total}: validation error ${pct(result.mean)} ± ${pct(result.std)} (${result.foldErrors.length} fold${result.foldErrors.length > 1 ? 's' : ''}, ${result.seconds.toFixed(1)} s)\n`);
        }
        return true;
      };
      const ok = workers.length ? (await Promise.all(workers.map((w) => lane(w)))).every(Boolean) : await lane();
      if (!ok || abort.signal.aborted) {
        ctx.stderr(`${finished.size} finished trials are in ${trialsPath}; continue with the same command\n`);
        return 130;
      }
    }
  } finally {
    release();
    workers.forEach((w) => w.kill());
  }
  const all = [...finished.values()];
  const ranked = rankTrials(all);
  await writeFileAtomic(join(out, 'leaderboard.md'), new TextEncoder().encode(formatLeaderboard(all, `hubel search: ${s.model}, ${s.strategy}, ${s.folds >= 2 ? `${s.folds}-fold cross-validation` : 'hold-out'}`)));
  await writeFileAtomic(join(out, 'search.svg'), new TextEncoder().encode(searchPlotSvg(s.space, all, `${s.model}: validation error against each searched dimension`)));
  const best = ranked[0];
  const writeBest = (extra: object = {}) => writeFileAtomic(join(out, 'best.json'), new TextEncoder().encode(`${JSON.stringify({ model: s.model, ...best, ...extra }, null, 2)}\n`));
  await writeBest();
  ctx.stdout(`best: ${formatConfig(best.config)}: validation error ${pct(best.mean)} ± ${pct(best.std)} (${best.epochs} epochs)\n`);
  ctx.stderr(`wrote ${['trials.jsonl', 'leaderboard.md', 'best.json', 'search.svg'].map((f) => join(out, f)).join(', ')}\n`);
  if (flags.retrain) {
    const test = testSet!;
    ctx.stderr(`retrain: ${formatConfig(best.config)} on all ${dataset.length} training images for ${best.epochs} epochs…\n`);
    const abort2 = new AbortController();
    const release2 = ctx.onInterrupt(() => abort2.abort());
    let result: Awaited<ReturnType<typeof retrainConfig>>;
    try {
      result = await retrainConfig({ model: s.model, entry, registry, backend, train: dataset, test, config: best.config, epochs: best.epochs, seed: s.seed, plugins: () => [new BatchNormFinalizer()], signal: abort2.signal });
    } finally {
      release2();
    }
    if (!result) {
      ctx.stderr('retrain interrupted; the search results are complete\n');
      return 130;
    }
    await writeBest({ retrain: { epochs: best.epochs, trainImages: dataset.length, testImages: test.length, testError: result.testError, seconds: result.seconds } });
    ctx.stdout(`retrained: test error ${pct(result.testError)} on ${test.length} images (${result.seconds.toFixed(1)} s)\n`);
  }
  return 0;
}

function readSpace(spec: string): SearchSpace {
  if (!spec.endsWith('.json')) return parseSearchSpace(spec);
  if (!existsSync(spec)) throw new HubelError('io', `--space: no such file ${spec}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new HubelError('io', `--space: ${spec} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new HubelError('attribute', `--space: ${spec} must hold a JSON object of KEY: values`);
  return parseSearchSpace(json as Record<string, unknown>, `--space ${spec}`);
}

async function checkOrStoreSettings(out: string, s: SearchSettings): Promise<void> {
  const path = join(out, 'search.json');
  if (existsSync(path)) {
    const prior = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const differ = (Object.keys(FLAG_OF) as (keyof SearchSettings)[]).filter((k) => JSON.stringify(prior[k] ?? null) !== JSON.stringify(s[k]));
    if (differ.length) {
      const show = (k: keyof SearchSettings, v: unknown) => (k === 'space' && Array.isArray(v) ? v.map((d: SearchSpace[number]) => d.key).join(',') : JSON.stringify(v));
      throw new HubelError('attribute', `hubel search: ${out} holds a search with different settings: ${differ.map((k) => `--${FLAG_OF[k]} (was ${show(k, prior[k])}, now ${show(k, s[k])})`).join(', ')}; use another --out or the same settings`);
    }
    return;
  }
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(s, null, 2)}\n`));
}

function readTrials(path: string): TrialRecord[] {
  if (!existsSync(path)) return [];
  // A crash while appending can leave a partial last line: it is dropped and the trial rerun.
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as TrialRecord];
    } catch {
      return [];
    }
  });
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The data of a search: the examples to fold, their folds, and the test examples for --retrain. */
interface SearchData {
  /** The examples folds are taken from. */
  readonly dataset: ArrayDataset;
  /** Fold (or hold-out part) of each example. */
  readonly folds: Int32Array;
  /** Folds each trial runs. */
  readonly runFolds: number[];
  /** The test examples (read on demand; undefined when the data has none). */
  readonly test: () => Promise<ArrayDataset | undefined>;
  /** Class names. */
  readonly classNames: readonly string[];
  /** How an image folder was read, for the `data:` line. */
  readonly summary: string;
}

/**
 * Loads the training images (IDX files or an image folder, in the zoo model's input format, as
 * `hubel train` reads them) and assigns folds exactly as every process of one search must.
 */
async function searchData(s: SearchSettings, entry: ZooEntry<object>, warn: (m: string) => void): Promise<SearchData> {
  const target = imageTarget(entry.defaultInput, `model '${s.model}'`);
  const data = await loadPooledTrainingData(s.data, { command: 'search', target, split: s.split ?? undefined, seed: s.seed, resize: s.resize ?? 'none', limit: s.limit ?? undefined, warn, noTestNote: '; --retrain needs test images' });
  const dataset = data.pool;
  const folds = s.folds >= 2 ? stratifiedFolds(dataset.y, s.folds, s.seed) : holdoutFold(dataset.y, s.validation, s.seed);
  const runFolds = s.folds >= 2 ? Array.from({ length: s.folds }, (_, f) => f) : [1];
  return { dataset, folds, runFolds, test: data.test, classNames: data.classNames, summary: data.summary };
}

/** Examples in each of the parts 0..k−1 of a fold assignment. */
function foldSizes(folds: Int32Array, k: number): number[] {
  const n = new Array<number>(k).fill(0);
  for (const f of folds) n[f]++;
  return n;
}

// --jobs: each worker is this CLI run again as `hubel search --worker-ipc` (not a user flag),
// with the parent's Node flags, talking over IPC: one `init` (the settings, its GEMM thread
// count and the --plugin files, which the worker imports before it builds anything), then one
// trial request at a time, answered with the result or an error message. A worker that cannot
// start (its plugins do not load, the data does not read) answers its first request with the
// error; one that dies fails the request it was running, or the next one sent to it.
const WORKER_FLAG = '--worker-ipc';
type ToWorker = { readonly init: SearchSettings; readonly out: string; readonly threads: number; readonly plugins: readonly string[] } | { readonly index: number; readonly config: SearchConfig; readonly epochs: number };
type FromWorker = { readonly result: TrialResult } | { readonly error: string; readonly code: HubelErrorCode };

class TrialWorker {
  readonly #child: ChildProcess;
  #waiting?: { resolve: (r: TrialResult | undefined) => void; reject: (e: Error) => void };
  #killed = false;
  /** Why the worker cannot take requests any more (it exited or its channel failed). */
  #dead?: HubelError;

  constructor(s: SearchSettings, out: string, readonly threads: number, plugins: readonly string[]) {
    this.#child = fork(process.argv[1], ['search', WORKER_FLAG], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.#child.on('message', (m: FromWorker) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      if ('error' in m) w?.reject(new HubelError(m.code, m.error));
      else w?.resolve(m.result);
    });
    this.#child.on('exit', (code, signal) => this.#fail(`hubel search: a worker process exited (${signal ?? `code ${code}`}); run the same command again to resume`));
    this.#child.on('error', (e) => this.#fail(`hubel search: a worker process failed (${e.message}); run the same command again to resume`));
    this.#send({ init: s, out, threads, plugins });
  }

  run(index: number, config: SearchConfig, epochs: number): Promise<TrialResult | undefined> {
    if (this.#killed) return Promise.resolve(undefined);
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#send({ index, config, epochs });
    });
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    this.#child.kill();
  }

  #fail(message: string): void {
    this.#dead ??= new HubelError('io', message);
    const w = this.#waiting;
    this.#waiting = undefined;
    if (this.#killed) w?.resolve(undefined);
    else w?.reject(this.#dead);
  }

  #send(m: ToWorker): void {
    // A send to a worker that has exited fails through the callback, not as an 'error' event.
    this.#child.send(m, (e) => e && this.#fail(`hubel search: cannot reach a worker process (${e.message}); run the same command again to resume`));
  }
}

/** What a worker sets up once, from its `init` message. */
interface WorkerSetup {
  readonly s: SearchSettings;
  readonly out: string;
  readonly registry: Registry;
  readonly backend: Backend;
  readonly entry: ZooEntry<object>;
  readonly data: SearchData;
}

/** Loads the --plugin files of `init`, then builds the registry and the data with them active. */
async function setUpWorker(m: Extract<ToWorker, { init: SearchSettings }>): Promise<WorkerSetup> {
  let modules: Awaited<ReturnType<typeof loadPluginFiles>>;
  try {
    modules = await loadPluginFiles(m.plugins);
  } catch (e) {
    if (!(e instanceof HubelError)) throw e;
    throw new HubelError(e.code, `hubel search: a --jobs worker process could not load the plugins the search was started with: ${e.message}`, { cause: e });
  }
  return withPlugins(modules, async () => {
    const registry = cliRegistry();
    const backend = await createBackend(registry, 'cpu');
    const entry = cliZooEntry(m.init.model);
    const data = await searchData(m.init, entry, () => undefined);
    return { s: m.init, out: m.out, registry, backend, entry, data };
  });
}

async function searchWorker(ctx: CliContext): Promise<number> {
  // Ctrl-C reaches the whole process group: the parent decides, and kills its workers.
  const release = ctx.onInterrupt(() => undefined);
  let ready: Promise<WorkerSetup> | undefined;
  const reply = (m: FromWorker) => process.send?.(m);
  return new Promise((done) => {
    process.on('message', (m: ToWorker) => {
      if ('init' in m) {
        setGemmThreads(m.threads);
        ready = setUpWorker(m);
        ready.catch(() => undefined); // reported in answer to the first trial request
        return;
      }
      void (async () => {
        try {
          const { s, out, registry, backend, entry, data } = await ready!;
          // Killed by the parent on Ctrl-C: the checkpoint of the last finished epoch is kept.
          const result = await runTrial({ model: s.model, entry, registry, backend, data: data.dataset, folds: data.folds, runFolds: data.runFolds, config: m.config, epochs: m.epochs, seed: s.seed, index: m.index, plugins: () => [new BatchNormFinalizer()], checkpoints: checkpointDir(out) });
          reply({ result: result! });
        } catch (e) {
          reply({ error: (e as Error).message, code: e instanceof HubelError ? e.code : 'io' });
        }
      })();
    });
    process.on('disconnect', () => {
      release();
      done(0);
    });
  });
}
