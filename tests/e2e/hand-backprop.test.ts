// One backprop iteration worked by hand: 2 inputs → 2 sigmoid hidden units → 1 sigmoid output,
// input (1.0, 0.1), target 0.5, Euclidean loss C = ½(y − t)², learning rate 0.2. The expected
// numbers are computed below in plain arithmetic, independently of Hubel's kernels.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Registry, Sequential, Sgd, Trainer } from '@hubel/core';
import { activationLayers, Sigmoid } from '@hubel/layers-activation';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { EuclideanLoss, lossLayers } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers);
const W1 = [[0.15, 0.2], [0.25, 0.3]]; // hidden j ← input i: W1[j][i]
const b1 = [0.35, 0.35];
const W2 = [[0.4, 0.45]];
const b2 = [0.6];
const x = [1.0, 0.1];
const t = 0.5;
const lr = 0.2;

const sig = (z: number) => 1 / (1 + Math.exp(-z));
function byHand() {
  const h = [0, 1].map((j) => sig(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]));
  const y = sig(W2[0][0] * h[0] + W2[0][1] * h[1] + b2[0]);
  const C = 0.5 * (y - t) ** 2;
  const dz2 = (y - t) * y * (1 - y); // ∂C/∂(output pre-activation)
  const dW2 = [[dz2 * h[0], dz2 * h[1]]];
  const db2 = [dz2];
  const dz1 = [0, 1].map((j) => dz2 * W2[0][j] * h[j] * (1 - h[j]));
  const dW1 = [0, 1].map((j) => [dz1[j] * x[0], dz1[j] * x[1]]);
  const db1 = dz1;
  return {
    h, y, C,
    W1: W1.map((row, j) => row.map((w, i) => w - lr * dW1[j][i])),
    b1: b1.map((b, j) => b - lr * db1[j]),
    W2: W2.map((row, j) => row.map((w, i) => w - lr * dW2[j][i])),
    b2: b2.map((b, j) => b - lr * db2[j]),
  };
}

function buildNet() {
  return new Sequential([null, 2], { registry })
    .add(Linear, { outFeatures: 2 }, 'hidden')
    .add(Sigmoid, undefined, 'hiddenAct')
    .add(Linear, { outFeatures: 1 }, 'out')
    .add(Sigmoid, undefined, 'outAct')
    .build({
      backend: createCpuBackend({ dtype: 'float64' }),
      initialValues: { 'hidden.W': W1.flat(), 'hidden.B': b1, 'out.W': W2.flat(), 'out.B': b2 },
    });
}

describe('one backprop iteration by hand (2-2-1 sigmoid net, Euclidean loss, lr 0.2)', () => {
  const want = byHand();

  it('forward values, loss and every updated weight match the hand computation', async () => {
    const model = buildNet();
    const train = model.withLoss(EuclideanLoss);
    const backend = model.backend;
    const xt = backend.tensor(x, [1, 2]);
    const tt = backend.tensor([t], [1, 1]);
    const run = train.forward({ input: xt, target: tt }, { mode: 'train' });
    expect(Array.from(await run.get('hiddenAct').read())).toEqual(want.h.map((v) => expect.closeTo(v, 14)));
    expect((await run.get('outAct').read())[0]).toBeCloseTo(want.y, 14);
    expect((await run.get('loss').read())[0]).toBeCloseTo(want.C, 14);
    const grads = run.backward();
    new Sgd({ lr }).step(model.params(), grads);
    grads.dispose();
    run.dispose();
    const p = Object.fromEntries(await Promise.all(model.params().map(async (q) => [q.key, Array.from(await q.tensor.read())] as const)));
    // float64 throughout; the only differences are rounding order, far below 1e-14.
    p['hidden.W'].forEach((v, i) => expect(v).toBeCloseTo(want.W1.flat()[i], 14));
    p['hidden.B'].forEach((v, i) => expect(v).toBeCloseTo(want.b1[i], 14));
    p['out.W'].forEach((v, i) => expect(v).toBeCloseTo(want.W2.flat()[i], 14));
    p['out.B'].forEach((v, i) => expect(v).toBeCloseTo(want.b2[i], 14));
  });

  it('the Trainer doing one batch of one example gives the same weights', async () => {
    const model = buildNet();
    const data = new ArrayDataset(Float64Array.from(x), [2], Float64Array.from([t]), [1]);
    const trainer = new Trainer({ model, loss: EuclideanLoss, optimizer: new Sgd({ lr }) });
    const summary = await trainer.fit({ train: data, epochs: 1, batchSize: 1 });
    expect(summary.history[0].trainLoss).toBeCloseTo(want.C, 14);
    const W1got = Array.from(await model.node('hidden').params.W.read());
    W1got.forEach((v, i) => expect(v).toBeCloseTo(want.W1.flat()[i], 14));
    expect((await model.node('out').params.B.read())[0]).toBeCloseTo(want.b2[0], 14);
  });
});
