// `hubel search` end to end on 300 images of the bundled sample: a random search with 3-fold
// cross-validation writes trials.jsonl, leaderboard.md and best.json; a search interrupted by
// Ctrl-C mid-way and run again finishes with the leaderboard of an uninterrupted run (a trial
// interrupted mid-way continuing from its checkpoints, with the same fold errors); a rerun
// with other settings is refused, naming them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

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
