import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { convLayers, LocallyConnected } from '@hubel/layers-conv';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, convLayers);

describe('LocallyConnected: finite differences (float64)', () => {
  gradcheckPlugin({ ...convLayers, cases: convLayers.cases!.filter((c) => c.layer === LocallyConnected) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

interface LcSpec {
  x: number[];
  outChannels: number;
  kernelShape: number[];
  strides?: number[];
  pads?: number[];
  dilations?: number[];
}

/** Direct loop: y[n, o, p] = B[p, o] + Σ_{c, kh, kw} W[p, o, (c·KH + kh)·KW + kw] · x[n, c, window_p(kh, kw)]. */
function naiveLc(s: LcSpec, x: number[], w: number[], b: number[]) {
  const one = s.kernelShape.length === 1;
  const [n, c] = s.x;
  const [H, W] = one ? [1, s.x[2]] : [s.x[2], s.x[3]];
  const [KH, KW] = one ? [1, s.kernelShape[0]] : s.kernelShape;
  const st = s.strides ?? s.kernelShape.map(() => 1), di = s.dilations ?? s.kernelShape.map(() => 1), p = s.pads ?? [0, 0, 0, 0].slice(0, 2 * s.kernelShape.length);
  const [SH, SW] = one ? [1, st[0]] : st;
  const [DH, DW] = one ? [1, di[0]] : di;
  const [PT, PL, PB, PR] = one ? [0, p[0], 0, p[1]] : p;
  const OH = Math.floor((H + PT + PB - (KH - 1) * DH - 1) / SH) + 1, OW = Math.floor((W + PL + PR - (KW - 1) * DW - 1) / SW) + 1;
  const O = s.outChannels, K = c * KH * KW, y: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const pos = oh * OW + ow;
          let sum = b[pos * O + o];
          for (let ci = 0; ci < c; ci++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * SH - PT + kh * DH, iw = ow * SW - PL + kw * DW;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) sum += w[(pos * O + o) * K + (ci * KH + kh) * KW + kw] * x[((ni * c + ci) * H + ih) * W + iw];
              }
          y.push(sum);
        }
  return { y, shape: one ? [n, O, OW] : [n, O, OH, OW], positions: OH * OW, K };
}

describe('LocallyConnected forward equals a direct loop with one filter per position', () => {
  const specs: LcSpec[] = [
    { x: [2, 3, 6, 5], outChannels: 4, kernelShape: [3, 2], strides: [1, 2], pads: [1, 0, 2, 1] },
    { x: [3, 2, 7, 7], outChannels: 2, kernelShape: [3, 3], dilations: [2, 1], pads: [1, 1, 1, 1] },
    { x: [2, 3, 12], outChannels: 3, kernelShape: [4], strides: [3], pads: [2, 1] },
  ];
  for (const [i, s] of specs.entries()) {
    it(`${JSON.stringify(s)} (seed ${40 + i})`, async () => {
      const r = new Rng(40 + i);
      const { x: shape, ...attrs } = s;
      const x = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal());
      const probe = naiveLc(s, x, [], []);
      const w = Array.from({ length: probe.positions * s.outChannels * probe.K }, () => r.normal());
      const b = Array.from({ length: probe.positions * s.outChannels }, () => r.normal());
      const ref = naiveLc(s, x, w, b);
      const backend = createCpuBackend({ dtype: 'float64' });
      const model = new Sequential([null, ...shape.slice(1)], { registry }).add(LocallyConnected, attrs, 'lc').build({ backend, initialValues: { 'lc.W': w, 'lc.B': b } });
      const y = model.predict(backend.tensor(x, shape));
      expect(y.shape).toEqual(ref.shape);
      const ours = await y.read();
      // float64, ≤ 30 terms per output of size ~N(0, 30): reordering error ≲ 30·2⁻⁵²·30 ≈ 2e-13; 1e-11 is generous.
      ref.y.forEach((v, j) => expect(Math.abs(ours[j] - v), `output ${j}`).toBeLessThan(1e-11));
    });
  }

  it('unlike Conv, W is per position: [positions, outChannels, C·kH·kW] and B [positions, outChannels]', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 2, 5, 4], { registry }).add(LocallyConnected, { outChannels: 3, kernelShape: [2, 2] }, 'lc').build({ backend });
    expect(model.params().map((p) => [p.key, [...p.tensor.shape]])).toEqual([
      ['lc.W', [4 * 3, 3, 8]],
      ['lc.B', [12, 3]],
    ]);
  });
});

describe('LocallyConnected bad input', () => {
  it('kernel larger than the input names the node, attribute and shape', () => {
    expect(() => new Sequential([null, 2, 3], { registry }).add(LocallyConnected, { outChannels: 1, kernelShape: [4] }, 'lc1').build({ backend: createCpuBackend() })).toThrowError(
      /node 'lc1' \(ai\.hubel\.LocallyConnected\): attribute 'kernelShape': kernel 4 is larger than the padded input along W: 3 \+ pads 0 \+ 0 = 3.*\[1, 2, 3\]/,
    );
  });
});
