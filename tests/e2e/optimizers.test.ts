// Optimizer updates against their textbook recurrences, written out here step by step.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Adam, Gradients, Registry, Sequential, Sgd, type Optimizer } from '@hubel/core';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, denseLayers);
const w0 = [0.5, -1.5, 2];
const gradSeq = [[0.1, -0.2, 0.3], [0.4, 0.1, -0.5], [-0.3, 0.2, 0.05]];

async function runOptimizer(opt: Optimizer): Promise<number[]> {
  const backend = createCpuBackend({ dtype: 'float64' });
  const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 1, bias: false }, 'fc').build({ backend, initialValues: { 'fc.W': w0 } });
  for (const g of gradSeq) {
    const grads = new Gradients(new Map([['fc.W', backend.tensor(g, [1, 3])]]), new Map());
    opt.step(model.params(), grads);
    grads.dispose();
  }
  return Array.from(await model.params()[0].tensor.read());
}

describe('optimizers', () => {
  it('SGD with momentum and weight decay: v ← μv + (g + λw); w ← w − lr·v', async () => {
    const lr = 0.1, mu = 0.9, wd = 0.01;
    const w = [...w0], v = [0, 0, 0];
    for (const g of gradSeq) for (let i = 0; i < 3; i++) {
      v[i] = mu * v[i] + g[i] + wd * w[i];
      w[i] -= lr * v[i];
    }
    const got = await runOptimizer(new Sgd({ lr, momentum: mu, weightDecay: wd }));
    got.forEach((x, i) => expect(x).toBeCloseTo(w[i], 14));
  });

  it('SGD with Nesterov momentum: w ← w − lr·(g + μv)', async () => {
    const lr = 0.05, mu = 0.8;
    const w = [...w0], v = [0, 0, 0];
    for (const g of gradSeq) for (let i = 0; i < 3; i++) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * (g[i] + mu * v[i]);
    }
    const got = await runOptimizer(new Sgd({ lr, momentum: mu, nesterov: true }));
    got.forEach((x, i) => expect(x).toBeCloseTo(w[i], 14));
  });

  it('Adam with bias correction', async () => {
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const w = [...w0], m = [0, 0, 0], v = [0, 0, 0];
    gradSeq.forEach((g, s) => {
      const t = s + 1;
      for (let i = 0; i < 3; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
      }
    });
    const got = await runOptimizer(new Adam({ lr }));
    got.forEach((x, i) => expect(x).toBeCloseTo(w[i], 14));
  });

  it('rejects bad hyper-parameters', () => {
    expect(() => new Sgd({ lr: -1 })).toThrowError(/learning rate must be a positive number, found -1/);
    expect(() => new Sgd({ lr: 0.1, momentum: 1 })).toThrowError(/momentum must be in \[0, 1\)/);
    expect(() => new Sgd({ lr: 0.1, nesterov: true })).toThrowError(/Nesterov momentum needs momentum > 0/);
    expect(() => new Adam({ beta2: 1 })).toThrowError(/beta2 must be in \[0, 1\)/);
  });

  it('exports and re-imports its state exactly', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 1, bias: false }, 'fc').build({ backend, initialValues: { 'fc.W': w0 } });
    const a = new Adam({ lr: 0.01 });
    const grads = new Gradients(new Map([['fc.W', backend.tensor(gradSeq[0], [1, 3])]]), new Map());
    a.step(model.params(), grads);
    const state = await a.exportState();
    const b = new Adam({ lr: 0.01 });
    b.importState(state, model.params());
    expect(b.stepCount).toBe(1);
    expect(await b.exportState()).toEqual(state);
    expect(() => new Sgd({ lr: 1 }).importState(state, model.params())).toThrowError(/optimizer state is for 'adam', this optimizer is 'sgd'/);
  });
});
