// `hubel search` end to end on 300 images of the bundled sample: a random search with 3-fold
// cross-validation writes trials.jsonl, leaderboard.md and best.json; a search interrupted by
// Ctrl-C mid-way and run again finishes with the leaderboard of an uninterrupted run (a trial
// interrupted mid-way continuing from its checkpoints, with the same fold errors); a rerun
// with other settings is refused, naming them.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from '@hubel/viz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel, sampleSplit } from './cli-helpers.js';
import { writeTwinData } from './sample-folder.js';

const args = (out: string, extra: string[] = []) => ['search', '--model', 'mlp', '--limit', '300', '--epochs', '1', '--trials', '4', '--folds', '3', '--seed', '5', '--space', 'lr=1e-4..1e-2:log,batch=32|64,optimizer=adam|sgd', '--out', out, ...extra];
const repo = fileURLToPath(new URL('../..', import.meta.url));
const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
// The seconds column differs between runs; everything else must not.
const withoutSeconds = (md: string) => md.split('\n').map((l) => l.replace(/\| [\d.]+ \|$/, '|'));

describe('hubel search', () => {
  it('random search, 3 folds: trials.jsonl, leaderboard.md, best.json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    const run = await hubel(args(out));
    expect(run.code, run.stderr).toBe(0);
    const trials = read(out, 'trials.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(trials).toHaveLength(4);
    for (const t of trials) {
      expect(t.foldErrors).toHaveLength(3);
      expect(t.mean).toBeCloseTo(t.foldErrors.reduce((s: number, e: number) => s + e, 0) / 3, 12);
      expect(t.epochs).toBe(1);
      expect(t.seconds).toBeGreaterThan(0);
      expect(Object.keys(t.config)).toEqual(['lr', 'batch', 'optimizer']);
    }
    const board = read(out, 'leaderboard.md');
    const rows = board.split('\n').filter((l) => /^\| \d/.test(l));
    expect(rows).toHaveLength(4);
    const means = rows.map((r) => Number(/\| ([\d.]+) ± /.exec(r)![1]));
    expect(means).toEqual([...means].sort((a, b) => a - b));
    const best = JSON.parse(read(out, 'best.json'));
    expect(best.mean).toBe(Math.min(...trials.map((t) => t.mean)));
    expect(run.stdout).toMatch(/^best: lr=/);
    expect(read(out, 'search.svg')).toMatch(/^<svg[^>]*>[\s\S]*>lr \(log\)<[\s\S]*>optimizer<[\s\S]*<\/svg>\n$/);

    // Same directory, same settings: nothing is rerun; --retrain adds the best configuration's test error.
    const again = await hubel(args(out, ['--retrain']));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming: 4 finished trials/);
    expect(again.stderr).not.toMatch(/trial \d\/4 \[/);
    const retrained = JSON.parse(read(out, 'best.json'));
    expect(retrained.config).toEqual(best.config);
    expect(retrained.retrain).toMatchObject({ epochs: 1, trainImages: 300, testImages: 300 });
    expect(retrained.retrain.testError).toBeGreaterThanOrEqual(0);
    expect(retrained.retrain.testError).toBeLessThan(0.9);
    expect(again.stdout).toMatch(/retrained: test error [\d.]+% on 300 images/);
    // Other settings: refused, naming them.
    const other = await hubel(args(out, ['--epochs', '2', '--seed', '6']));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/different settings: --epochs \(was 1, now 2\), --seed \(was 5, now 6\)/);
  });

  it('interrupted mid-way and rerun: the same leaderboard as an uninterrupted run', async () => {
    const straight = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    expect((await hubel(args(straight))).code).toBe(0);
    const resumed = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    // Ctrl-C as the third trial starts: two trials are recorded, the third is dropped.
    const first = await hubel(args(resumed), (err) => /trial 3\/4 \[/.test(err));
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/interrupted in trial 3\/4/);
    expect(read(resumed, 'trials.jsonl').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(resumed, 'leaderboard.md'))).toBe(false);
    // A crash while appending leaves a partial line: it is ignored and the trial rerun.
    writeFileSync(join(resumed, 'trials.jsonl'), `${read(resumed, 'trials.jsonl')}{"index":2,"conf`);
    const second = await hubel(args(resumed));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming: 2 finished trials/);
    expect(withoutSeconds(read(resumed, 'leaderboard.md'))).toEqual(withoutSeconds(read(straight, 'leaderboard.md')));
    const best = (d: string) => {
      const { seconds: _s, ...rest } = JSON.parse(read(d, 'best.json'));
      return rest;
    };
    expect(best(resumed)).toEqual(best(straight));
  });

  it('a trial interrupted after an epoch continues from its checkpoint: the results of an uninterrupted run', async () => {
    const small = (out: string) => ['search', '--model', 'mlp', '--limit', '200', '--epochs', '2', '--trials', '3', '--folds', '2', '--seed', '7', '--space', 'lr=1e-3..1e-2:log,optimizer=adam|sgd', '--out', out];
    const straight = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    const uninterrupted = await hubel(small(straight));
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    expect(uninterrupted.stderr).toMatch(/trial 1\/3: fold 1\/2: epoch 2\/2/);
    expect(readdirSync(join(straight, 'checkpoints'))).toEqual([]);
    const resumed = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    // Ctrl-C after the first epoch of trial 2's second fold: its first fold is complete, its second half done.
    const first = await hubel(small(resumed), (err) => /trial 2\/3: fold 2\/2: epoch 1\/2/.test(err));
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/interrupted in trial 2\/3/);
    expect(read(resumed, 'trials.jsonl').trim().split('\n')).toHaveLength(1);
    const index = JSON.parse(read(straight, 'trials.jsonl').trim().split('\n')[1]).index as number;
    expect(readdirSync(join(resumed, 'checkpoints')).sort()).toEqual([`trial-${index}-2ep-fold-0.onnx`, `trial-${index}-2ep-fold-1.onnx`]);
    const second = await hubel(small(resumed));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/trial 2\/3: fold 1\/2: resuming from its checkpoint, all 2 epochs done/);
    expect(second.stderr).toMatch(/trial 2\/3: fold 2\/2: resuming from its checkpoint at epoch 2\/2/);
    expect(second.stderr).not.toMatch(/trial 2\/3: fold 2\/2: epoch 1\/2/);
    expect(readdirSync(join(resumed, 'checkpoints'))).toEqual([]);
    const trials = (d: string) => new Map(read(d, 'trials.jsonl').trim().split('\n').map((l) => JSON.parse(l)).map((t) => [t.index, t.foldErrors]));
    expect(trials(resumed).get(index)).toEqual(trials(straight).get(index));
    expect(trials(resumed)).toEqual(trials(straight));
    expect(withoutSeconds(read(resumed, 'leaderboard.md'))).toEqual(withoutSeconds(read(straight, 'leaderboard.md')));
    const best = (d: string) => {
      const { seconds: _s, ...rest } = JSON.parse(read(d, 'best.json'));
      return rest;
    };
    expect(best(resumed)).toEqual(best(straight));
  });

  it('halving with a hold-out: 4 configurations at 1 epoch, the best 2 at 2, the best at 4', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    const run = await hubel(['search', '--model', 'mlp', '--limit', '200', '--strategy', 'halving', '--trials', '4', '--eta', '2', '--epochs', '1', '--folds', '1', '--space', 'lr=1e-4..1e-2:log', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const trials = read(out, 'trials.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(trials.map((t) => t.epochs)).toEqual([1, 1, 1, 1, 2, 2, 4]);
    const firstRound = trials.slice(0, 4).sort((a, b) => a.mean - b.mean || a.index - b.index);
    expect(trials.slice(4, 6).map((t) => t.index).sort()).toEqual(firstRound.slice(0, 2).map((t) => t.index).sort());
    for (const t of trials) expect(t.foldErrors).toHaveLength(1);
    expect(JSON.parse(read(out, 'best.json'))).toMatchObject({ index: trials[6].index, epochs: 4 });
  });

  it('grid over a JSON space file: every combination, once', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    const space = join(out, 'space.json');
    writeFileSync(space, JSON.stringify({ lr: { min: 1e-3, max: 1e-2, log: true }, optimizer: ['adam', 'sgd'] }));
    const run = await hubel(['search', '--model', 'mlp', '--limit', '100', '--strategy', 'grid', '--points', '2', '--folds', '2', '--space', space, '--out', join(out, 'run')]);
    expect(run.code, run.stderr).toBe(0);
    const configs = read(join(out, 'run'), 'trials.jsonl').trim().split('\n').map((l) => JSON.parse(l).config);
    expect(configs).toEqual([{ lr: 1e-3, optimizer: 'adam' }, { lr: 1e-3, optimizer: 'sgd' }, { lr: 1e-2, optimizer: 'adam' }, { lr: 1e-2, optimizer: 'sgd' }]);
    writeFileSync(space, '{"lr": [');
    const broken = await hubel(['search', '--model', 'mlp', '--space', space, '--out', join(out, 'broken')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/--space: .*space\.json is not valid JSON/);
    writeFileSync(space, '{"lr": {"min": 0.1, "max": 0.01}}');
    const empty = await hubel(['search', '--model', 'mlp', '--space', space, '--out', join(out, 'empty')]);
    expect(empty.stderr).toMatch(/--space .*space\.json: lr: the range 0.1..0.01 is empty/);
  });

  // Worker processes re-run the CLI's entry point, so this run is a real process (as in cli-signal.test.ts).
  it.skipIf(availableParallelism() < 2)('--jobs 2: two worker processes, the same leaderboard as one process', async () => {
    const parallel = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    const child = spawn(process.execPath, ['--conditions=@hubel/source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args(parallel, ['--jobs', '2'])], { cwd: repo });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/jobs: 2 worker processes, \d+ GEMM threads? each/);
    const serial = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    expect((await hubel(args(serial))).code).toBe(0);
    expect(withoutSeconds(read(parallel, 'leaderboard.md'))).toEqual(withoutSeconds(read(serial, 'leaderboard.md')));
    const tooMany = await hubel(args(serial, ['--jobs', String(availableParallelism() + 1)]));
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/--jobs must be between 1 and the \d+ cores/);
  });

  it('bad input: empty or contradictory space, unknown key, an option the model lacks', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-search-'));
    for (const [space, message] of [
      ['', /--space: the search space is empty/],
      ['lr=1e-2..1e-4', /--space: lr: the range 0.01..0.0001 is empty \(low > high\)/],
      ['wd=0..1e-3:log', /--space: wd: a log range must be positive/],
      ['momentum=0.9', /--space: unknown key 'momentum'/],
      ['hidden=32|64', /--space: model 'mlp' has no hidden option/],
    ] as const) {
      const run = await hubel(['search', '--model', 'mlp', '--space', space, '--out', out]);
      expect(run.code, space).toBe(1);
      expect(run.stderr).toMatch(message);
    }
    const missing = await hubel(['search', '--model', 'mlp', '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--space is required/);
  });
});

// --data as `hubel train` takes it: an image folder is read by the same loader. The folder and
// the IDX files hold the same images in the same order (sample-folder.ts), so a search over
// either must record the same trials, and --retrain the same test error.
describe('hubel search --data on image folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'hubel-search-folder-'));
  const twin = writeTwinData(root, 300, 100);
  const folderArgs = (data: string, out: string, extra: string[] = []) => ['search', '--model', 'mlp', '--data', data, '--epochs', '1', '--trials', '3', '--folds', '3', '--seed', '5', '--space', 'lr=1e-4..1e-2:log,batch=32|64', '--out', out, ...extra];
  const trials = (d: string) => read(d, 'trials.jsonl').trim().split('\n').map((l) => {
    const { seconds: _s, ...rest } = JSON.parse(l);
    return rest;
  });

  it('train/ + test/ folders: the trials and the retrained test error of the IDX files of the same images', async () => {
    const fromFolder = await hubel(folderArgs(twin.folder, join(root, 'from-folder'), ['--retrain']));
    expect(fromFolder.code, fromFolder.stderr).toBe(0);
    expect(fromFolder.stderr).toMatch(/data: \S+folder \(image folders train\/, test\/, gray\): 300 images to fold, 100 test images of 1×28×28, 10 classes\n/);
    expect(fromFolder.stderr).toMatch(/folds: 3 stratified by class, of 100, 100, 100 images\n/);
    const fromIdx = await hubel(folderArgs(twin.idx, join(root, 'from-idx'), ['--retrain']));
    expect(fromIdx.code, fromIdx.stderr).toBe(0);
    expect(fromIdx.stderr).toMatch(/data: \S+idx: 300 images to fold, 100 test images of 1×28×28, 10 classes\n/);
    const folderTrials = trials(join(root, 'from-folder'));
    expect(folderTrials).toHaveLength(3);
    expect(folderTrials).toEqual(trials(join(root, 'from-idx')));
    const retrained = (d: string) => JSON.parse(read(join(root, d), 'best.json')).retrain;
    expect(retrained('from-folder')).toMatchObject({ trainImages: 300, testImages: 100 });
    expect(retrained('from-folder').testError).toBe(retrained('from-idx').testError);
  });

  it('a folder of class folders: stratified K-fold over its training and validation parts; --split is a setting', async () => {
    // c0, c1, c2 with 20 images each: split 0.8/0.1/0.1 per class is 16/2/2, so 18 per class are folded.
    const flat = join(root, 'flat');
    const { pixels, labels, n } = sampleSplit('train', 600);
    const taken = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      if (c > 2 || taken[c] === 20) continue;
      taken[c]++;
      mkdirSync(join(flat, `c${c}`), { recursive: true });
      writeFileSync(join(flat, `c${c}`, `${i}.png`), encodePng({ width: 28, height: 28, channels: 1, data: pixels.subarray(i * 784, (i + 1) * 784) }));
    }
    expect(taken).toEqual([20, 20, 20]);
    const out = join(root, 'flat-search');
    const args = ['search', '--model', 'mlp', '--data', flat, '--epochs', '1', '--trials', '2', '--folds', '3', '--seed', '5', '--space', 'lr=1e-3..1e-2:log', '--out', out];
    const run = await hubel(args);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/data: \S+flat \(class folders split 0\.8\/0\.1\/0\.1 with seed 5, gray\): 54 images to fold of 1×28×28, 3 classes\n/);
    expect(run.stderr).toMatch(/folds: 3 stratified by class, of 18, 18, 18 images\n/);
    const records = read(out, 'trials.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(2);
    // 18 validation images per fold: every fold error is a multiple of 1/18.
    for (const t of records) for (const e of t.foldErrors) expect(Math.abs(e * 18 - Math.round(e * 18))).toBeLessThan(1e-9);
    const other = await hubel([...args, '--split', '0.7,0.2,0.1']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/different settings: --split \(was null, now "0\.7,0\.2,0\.1"\)/);
    const idxSplit = await hubel(['search', '--model', 'mlp', '--space', 'lr=1e-3', '--split', '0.8,0.1,0.1', '--out', join(root, 'idx-split')]);
    expect(idxSplit.code).toBe(1);
    expect(idxSplit.stderr).toMatch(/hubel search: --split applies to image folders; .* holds IDX files/);
  });

  it('bad --data: neither IDX files nor an image folder, or no directory: an error naming it, and no search.json left', async () => {
    const junk = join(root, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'notes.txt'), 'not data\n');
    const out = join(root, 'junk-search');
    const r = await hubel(['search', '--model', 'mlp', '--data', junk, '--space', 'lr=1e-3', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hubel: error: \S+junk: no class folders \(expected one sub-folder per class holding PNG or JPEG files; found 1 file, e\.g\. notes\.txt\); --data also takes a directory of MNIST-format IDX files/);
    expect(existsSync(join(out, 'search.json'))).toBe(false);
    const missing = await hubel(['search', '--model', 'mlp', '--data', join(root, 'nowhere'), '--space', 'lr=1e-3', '--out', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/hubel: error: data directory \S+nowhere does not exist/);
  });
});

// --plugin with --jobs: the worker processes import the plugin files the search was started
// with before building anything, so a zoo model (and its layer) from a plugin trains there too.
describe('hubel search --plugin with --jobs', () => {
  // Under tests/e2e (git-ignored .hubel-tmp), so the plugin's `import '@hubel/core'` resolves as in a user's project.
  const dir = join(repo, 'tests', 'e2e', '.hubel-tmp', `search-plugin-${process.pid}`);
  const good = join(dir, 'swish-zoo.mjs');
  const refuses = join(dir, 'refuses-in-workers.mjs');
  const zooPlugin = (guard: string) => `import { defineKernel, defineLayer, definePlugin, GraphBuilder } from '@hubel/core';
${guard}
// Swish with a learned slope per value, y = x·σ(β·x) (as in lab-check.test.ts).
const Swish = defineLayer({
  domain: 'com.example',
  type: 'Swish',
  attrs: {},
  params: (_a, [x]) => ({ beta: { shape: x.slice(1), init: { kind: 'constant', value: 1 } } }),
  inferShapes: (_a, [x]) => [x],
  // Trials checkpoint their models as .onnx: the layer needs an ONNX form.
  onnx: {
    since: 1,
    functionBody: () => ({
      inputs: ['X', 'beta'],
      outputs: ['Y'],
      nodes: [
        { opType: 'Mul', inputs: ['beta', 'X'], outputs: ['bx'] },
        { opType: 'Sigmoid', inputs: ['bx'], outputs: ['s'] },
        { opType: 'Mul', inputs: ['X', 's'], outputs: ['Y'] },
      ],
    }),
  },
});
const swishCpu = defineKernel(Swish, 'cpu', {
  forward({ backend, inputs: [x], params: { beta } }) {
    const y = backend.alloc(x.shape), s = backend.alloc(x.shape);
    const xs = backend.data(x), bs = backend.data(beta), ys = backend.data(y), ss = backend.data(s);
    for (let i = 0; i < xs.length; i++) {
      ss[i] = 1 / (1 + Math.exp(-bs[i % bs.length] * xs[i]));
      ys[i] = xs[i] * ss[i];
    }
    return { outputs: [y], saved: { s } };
  },
  backward({ backend, inputs: [x], params: { beta }, saved: { s }, dOutputs: [dy] }) {
    const xs = backend.data(x), bs = backend.data(beta), ss = backend.data(s), d = backend.data(dy);
    const dx = backend.alloc(x.shape), dB = backend.zeros(beta.shape);
    const o = backend.data(dx), ob = backend.data(dB);
    for (let i = 0; i < xs.length; i++) {
      const g = ss[i] * (1 - ss[i]);
      o[i] = d[i] * (ss[i] + bs[i % bs.length] * xs[i] * g);
      ob[i % bs.length] += d[i] * xs[i] * xs[i] * g;
    }
    return { dInputs: [dx], dParams: { beta: dB } };
  },
});
export default definePlugin({ name: 'example-swish-zoo', layers: [Swish], kernels: [swishCpu] });

// A zoo entry built from the plugin's layer: flatten → dense → Swish → dense. The CLI gives
// build() the registry (with the plugin's layers), the input shape and the class count.
export const zoo = {
  'swish-mlp': {
    description: 'flatten, dense (hidden, default 32), Swish, dense scores',
    defaultInput: [1, 28, 28],
    defaultClasses: 10,
    knobs: ['hidden'],
    build: (o) => {
      const g = new GraphBuilder({ registry: o.registry });
      let v = g.input('input', [null, ...o.inputShape]);
      v = g.add(o.registry.layer('', 'Flatten'), {}, v, { name: 'flatten' });
      v = g.add(o.registry.layer('', 'Gemm'), { outFeatures: o.hidden ?? 32 }, v, { name: 'fc1' });
      v = g.add(o.registry.layer('com.example', 'Swish'), {}, v, { name: 'swish' });
      g.output(g.add(o.registry.layer('', 'Gemm'), { outFeatures: o.classes }, v, { name: 'scores' }));
      return g;
    },
  },
};
`;
  const pluginArgs = (plugin: string, out: string, extra: string[] = []) => ['search', '--model', 'swish-mlp', '--plugin', plugin, '--limit', '240', '--epochs', '1', '--trials', '3', '--folds', '2', '--seed', '3', '--space', 'lr=1e-3..1e-2:log,hidden=16|32', '--out', out, ...extra];

  /** `hubel ARGS` as a real process (worker processes re-run the CLI's entry point); killed after `ms`. */
  function spawnHubel(args: string[], ms: number): Promise<{ code: number | null; stderr: string; killed: boolean }> {
    const child = spawn(process.execPath, ['--conditions=@hubel/source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args], { cwd: repo });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    return new Promise((done) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        done({ code, stderr, killed });
      }),
    );
  }

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(good, zooPlugin(''));
    // Imports in the command's own process, throws in a forked worker (which has an IPC channel).
    writeFileSync(refuses, zooPlugin("if (typeof process.send === 'function') throw new Error('this plugin refuses to load in a child process');"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the zoo entry is a model for other commands too, and unknown without the plugin', async () => {
    const inspect = await hubel(['inspect', '--model', 'swish-mlp', '--plugin', good]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/swish +com\.example\.Swish/);
    const without = await hubel(['search', '--model', 'swish-mlp', '--space', 'lr=1e-3', '--out', join(dir, 'none')]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/unknown model 'swish-mlp' \(known: fashion, lenet/);
  });

  it.skipIf(availableParallelism() < 2)('a zoo model and layer from a plugin train in 2 worker processes: the leaderboard of one process', async () => {
    const parallel = join(dir, 'parallel');
    const run = await spawnHubel(pluginArgs(good, parallel, ['--jobs', '2']), 240_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/jobs: 2 worker processes/);
    const serial = join(dir, 'serial');
    const one = await hubel(pluginArgs(good, serial));
    expect(one.code, one.stderr).toBe(0);
    expect(read(parallel, 'trials.jsonl').trim().split('\n')).toHaveLength(3);
    expect(withoutSeconds(read(parallel, 'leaderboard.md'))).toEqual(withoutSeconds(read(serial, 'leaderboard.md')));
    expect(JSON.parse(read(parallel, 'best.json')).config).toEqual(JSON.parse(read(serial, 'best.json')).config);
  });

  it.skipIf(availableParallelism() < 2)('a plugin that does not load in a worker process: exit 1 naming the plugin and why, not a hang', async () => {
    const run = await spawnHubel(pluginArgs(refuses, join(dir, 'refused'), ['--jobs', '2']), 120_000);
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/hubel: error: hubel search: a --jobs worker process could not load the plugins the search was started with: --plugin \S+refuses-in-workers\.mjs: cannot load the module \(this plugin refuses to load in a child process\)/);
  });
});
