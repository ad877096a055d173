// The README's example is code a newcomer pastes: this runs the README's first ```ts block as
// it stands (compiled by tsx, packages resolved by their public names), then checks what it
// claims — it trains a convnet on the bundled sample to a test error well below chance (90%),
// and the model.onnx it writes gives the same test error in ONNX Runtime.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_SAMPLE_DIR, loadFashionMnist } from '@hubel/data';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
// Inside tests/e2e (in the git-ignored .hubel-tmp) so that the example's imports, and tsx itself,
// resolve through the workspace's dependencies; the example writes model.onnx into it.
const cwd = join(here, '.hubel-tmp', `readme-example-${process.pid}`);
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe("the README's example", () => {
  it('trains, reports a test error far below chance, and writes a model ONNX Runtime agrees with', async () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(block, 'README.md has a ```ts block').not.toBeNull();
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'example.ts'), block![1]);
    const out = execFileSync(process.execPath, ['--conditions=@hubel/source', '--import', 'tsx', 'example.ts'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /test error: ([\d.]+)%/.exec(out);
    expect(m, `the example prints its test error; it printed:\n${out}`).not.toBeNull();
    const printed = Number(m![1]) / 100;
    expect(printed).toBeLessThan(0.4);

    const { dataset } = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test' });
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(cwd, 'model.onnx'))));
    const n = dataset.length;
    const scores = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', dataset.x as Float32Array, [n, ...dataset.inputShape]) }))[session.outputNames[0]].data as Float32Array;
    const classes = scores.length / n;
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
      if (best !== dataset.y[i]) wrong++;
    }
    // The example prints one decimal of a percentage: ONNX Runtime's error must round to it
    // (a float32 tie between two classes could flip one image of 1,000, which is 0.1%).
    expect(Math.abs(wrong / n - printed)).toBeLessThanOrEqual(0.0015);
  }, 180_000);
});
