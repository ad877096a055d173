import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { Conv, convLayers } from '@hubel/layers-conv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, convLayers);

interface ConvSpec {
  x: number[]; // [N, C, ...spatial]
  outChannels: number;
  kernelShape: number[];
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  group?: number;
  autoPad?: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  bias?: boolean;
}

/** ONNX's pad rule, written out here independently of the layer: [begins…, ends…]. */
function onnxPads(s: ConvSpec): number[] {
  const r = s.kernelShape.length;
  const strides = s.strides ?? Array(r).fill(1), dil = s.dilations ?? Array(r).fill(1);
  if (s.autoPad === 'SAME_UPPER' || s.autoPad === 'SAME_LOWER') {
    const begins: number[] = [], ends: number[] = [];
    for (let i = 0; i < r; i++) {
      const inp = s.x[2 + i], out = Math.ceil(inp / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (s.kernelShape[i] - 1) * dil[i] + 1 - inp);
      const small = Math.floor(total / 2), big = total - small;
      begins.push(s.autoPad === 'SAME_UPPER' ? small : big);
      ends.push(s.autoPad === 'SAME_UPPER' ? big : small);
    }
    return [...begins, ...ends];
  }
  return s.autoPad === 'VALID' ? Array(2 * r).fill(0) : (s.pads ?? Array(2 * r).fill(0));
}

/**
 * The direct convolution: seven nested loops (n, o, oh, ow, c, kh, kw), 1-D read as H = 1.
 * Also returns Σ|w·x| per output, for the float32 rounding bound.
 */
function naiveConv(s: ConvSpec, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | undefined) {
  const one = s.kernelShape.length === 1;
  const [n, c] = s.x;
  const [H, W] = one ? [1, s.x[2]] : [s.x[2], s.x[3]];
  const [KH, KW] = one ? [1, s.kernelShape[0]] : s.kernelShape;
  const st = s.strides ?? s.kernelShape.map(() => 1), di = s.dilations ?? s.kernelShape.map(() => 1);
  const [SH, SW] = one ? [1, st[0]] : st;
  const [DH, DW] = one ? [1, di[0]] : di;
  const p = onnxPads(s);
  const [PT, PL, PB, PR] = one ? [0, p[0], 0, p[1]] : [p[0], p[1], p[2], p[3]];
  const OH = Math.floor((H + PT + PB - ((KH - 1) * DH + 1)) / SH) + 1;
  const OW = Math.floor((W + PL + PR - ((KW - 1) * DW + 1)) / SW) + 1;
  const O = s.outChannels, G = s.group ?? 1, CG = c / G, OG = O / G;
  const y = new Float64Array(n * O * OH * OW), absSum = new Float64Array(y.length);
  for (let ni = 0; ni < n; ni++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let sum = b ? b[o] : 0, abs = b ? Math.abs(b[o]) : 0;
          const g = Math.floor(o / OG);
          for (let cg = 0; cg < CG; cg++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * SH - PT + kh * DH, iw = ow * SW - PL + kw * DW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const t = w[((o * CG + cg) * KH + kh) * KW + kw] * x[((ni * c + g * CG + cg) * H + ih) * W + iw];
                sum += t;
                abs += Math.abs(t);
              }
          const at = ((ni * O + o) * OH + oh) * OW + ow;
          y[at] = sum;
          absSum[at] = abs;
        }
  return { y, absSum, shape: one ? [n, O, OW] : [n, O, OH, OW] };
}

/** Runs our Conv on random x, W, B drawn from `seed`; returns our output and the naive one. */
async function compare(s: ConvSpec, seed: number, dtype: 'float32' | 'float64' = 'float64') {
  const backend = createCpuBackend({ dtype });
  const rng = new Rng(seed);
  const G = s.group ?? 1;
  const wShape = [s.outChannels, s.x[1] / G, ...s.kernelShape];
  const x = Array.from({ length: s.x.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const w = Array.from({ length: wShape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const b = s.bias === false ? undefined : Array.from({ length: s.outChannels }, () => rng.normal());
  const { x: xShape, ...attrs } = s;
  const model = new Sequential([null, ...xShape.slice(1)], { registry })
    .add(Conv, attrs, 'conv')
    .build({ backend, initialValues: { 'conv.W': w, ...(b ? { 'conv.B': b } : {}) } });
  const xt = backend.tensor(x, xShape);
  const yt = model.predict(xt);
  const ours = { shape: [...yt.shape], y: Float64Array.from(await yt.read()) };
  // Round the reference inputs as the backend stored them, so only the arithmetic differs.
  const cast = (v: number[]) => (dtype === 'float32' ? Array.from(Float32Array.from(v)) : v);
  const ref = naiveConv(s, cast(x), cast(w), b && cast(b));
  model.dispose();
  xt.dispose();
  yt.dispose();
  return { ours, ref };
}

/** Exact up to float64 summation order: |Δ| ≤ K·2⁻⁵²·Σ|w·x| per output, with K ≤ 2,000 terms → 1e-12·Σ|w·x| is generous. */
function expectClose(ours: Float64Array, ref: Float64Array, absSum: Float64Array, relTol: number, label: string) {
  expect(ours.length, label).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(ours[i] - ref[i]);
    if (!(err <= relTol * (absSum[i] + 1e-300))) expect.fail(`${label}: output ${i}: ours ${ours[i]}, naive ${ref[i]} (|Δ| ${err} > ${relTol}·${absSum[i]})`);
  }
}

describe('Conv: finite differences (float64)', () => {
  gradcheckPlugin({ ...convLayers, cases: convLayers.cases!.filter((c) => c.layer === Conv) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

describe('Conv forward equals the direct 7-loop convolution', () => {
  const cases = convLayers.cases!.filter((c) => c.layer === Conv);
  for (const [i, c] of cases.entries()) {
    it(`${c.name}: y matches the naive loop (seed ${100 + i})`, async () => {
      const { ours, ref } = await compare({ x: [...(c.inputs[0] as number[])], ...(c.attrs as Omit<ConvSpec, 'x'>) }, 100 + i);
      expect(ours.shape).toEqual(ref.shape);
      expectClose(ours.y, ref.y, ref.absSum, 1e-12, `${c.name} seed ${100 + i}`);
    });
  }

  it('float32, large enough for the multi-threaded GEMM (32×288×1152): within the float32 rounding bound', async () => {
    const s: ConvSpec = { x: [2, 32, 24, 24], outChannels: 32, kernelShape: [3, 3], pads: [1, 1, 1, 1] };
    const { ours, ref } = await compare(s, 7, 'float32');
    // Float32 sums of K = 289 terms (288 taps + bias): |Δ| ≤ K·2⁻²⁴·Σ|w·x| (plus the final rounding), K·2⁻²⁴ ≈ 1.7e-5.
    // This shape takes the Winograd path, whose rounding differs from a direct sum; measured
    // max |Δ|/Σ|w·x| on it is 0.6·2⁻²⁴, far inside the bound.
    expectClose(ours.y, ref.y, ref.absSum, 290 * 2 ** -24, 'float32 seed 7');
  });

  it('float32 5×5 (Winograd F(2×2, 5×5)) on the same data: within the direct-sum bound for K = 801', async () => {
    const s: ConvSpec = { x: [2, 32, 24, 24], outChannels: 32, kernelShape: [5, 5], pads: [2, 2, 2, 2] };
    const { ours, ref } = await compare(s, 8, 'float32');
    // Measured max |Δ|/Σ|w·x| on this shape: 7.0·2⁻²⁴ (the 5×5 transforms have coefficients up to 5).
    expectClose(ours.y, ref.y, ref.absSum, 801 * 2 ** -24, 'float32 5×5 seed 8');
  });

  it('float32 im2col path (5×5, stride 2: not Winograd), threaded GEMM: within the direct-sum bound', async () => {
    const s: ConvSpec = { x: [4, 32, 24, 24], outChannels: 48, kernelShape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] };
    const { ours, ref } = await compare(s, 9, 'float32');
    expectClose(ours.y, ref.y, ref.absSum, 801 * 2 ** -24, 'float32 5×5 stride 2 seed 9');
  });

  it('float32 im2col path (5×5 kernel, not Winograd) on the same data size: within the same bound', async () => {
    const s: ConvSpec = { x: [2, 32, 24, 24], outChannels: 32, kernelShape: [5, 5], pads: [2, 2, 2, 2] };
    const { ours, ref } = await compare(s, 8, 'float32');
    expectClose(ours.y, ref.y, ref.absSum, 801 * 2 ** -24, 'float32 5×5 seed 8');
  });

  it('property: random valid shapes, strides, pads, dilations, groups and auto_pad match the naive loop', async () => {
    const spec = fc
      .record({
        rank: fc.constantFrom(1, 2),
        n: fc.integer({ min: 1, max: 3 }),
        group: fc.integer({ min: 1, max: 3 }),
        cg: fc.integer({ min: 1, max: 3 }),
        og: fc.integer({ min: 1, max: 3 }),
        k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        d: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        extra: fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })),
        autoPad: fc.constantFrom('NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
        bias: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1 << 30 }),
      })
      .map((r) => {
        const r2 = r.rank;
        const k = r.k.slice(0, r2), st = r.s.slice(0, r2), di = r.d.slice(0, r2);
        // Input at least as large as the dilated kernel, so every auto_pad mode is valid.
        const spatial = k.map((kk, i) => (kk - 1) * di[i] + 1 + r.extra[i]);
        const autoPad = r.autoPad as ConvSpec['autoPad'];
        const s: ConvSpec = {
          x: [r.n, r.group * r.cg, ...spatial],
          outChannels: r.group * r.og,
          kernelShape: k,
          strides: st,
          dilations: di,
          group: r.group,
          autoPad,
          bias: r.bias,
          ...(autoPad === 'NOTSET' ? { pads: r2 === 1 ? [r.p[0], r.p[2]] : [...r.p] } : {}),
        };
        return { s, seed: r.seed };
      });
    await fc.assert(
      fc.asyncProperty(spec, async ({ s, seed }) => {
        const { ours, ref } = await compare(s, seed);
        expect(ours.shape).toEqual(ref.shape);
        expectClose(ours.y, ref.y, ref.absSum, 1e-12, `${JSON.stringify(s)} seed ${seed}`);
      }),
      { seed: 20240601, numRuns: 60 },
    );
  });
});

describe('Conv auto_pad: SAME_UPPER vs SAME_LOWER with odd total padding', () => {
  // H = 6, kernel 3, stride 2: out ⌈6/2⌉ = 3, total (3−1)·2 + 3 − 6 = 1 → UPPER [0 | 1], LOWER [1 | 0].
  // W = 5, kernel 4, stride 2: out ⌈5/2⌉ = 3, total (3−1)·2 + 4 − 5 = 3 → UPPER [1 | 2], LOWER [2 | 1].
  const base = { x: [2, 2, 6, 5], outChannels: 3, kernelShape: [3, 4], strides: [2, 2] };
  for (const [autoPad, pads] of [['SAME_UPPER', [0, 1, 1, 2]], ['SAME_LOWER', [1, 2, 0, 1]]] as const) {
    it(`${autoPad} equals explicit pads [${pads.join(', ')}] and keeps the output at ⌈in / stride⌉ = 3×3`, async () => {
      const auto = await compare({ ...base, autoPad }, 11);
      const explicit = await compare({ ...base, pads: [...pads] }, 11);
      expect(auto.ours.shape).toEqual([2, 3, 3, 3]);
      expect(Array.from(auto.ours.y)).toEqual(Array.from(explicit.ours.y));
      expectClose(auto.ours.y, explicit.ref.y, explicit.ref.absSum, 1e-12, `${autoPad} vs naive with pads [${pads}]`);
    });
  }
  it('the two splits give different outputs (the odd pixel moves)', async () => {
    const up = await compare({ ...base, autoPad: 'SAME_UPPER' }, 11);
    const low = await compare({ ...base, autoPad: 'SAME_LOWER' }, 11);
    expect(Array.from(up.ours.y)).not.toEqual(Array.from(low.ours.y));
  });
});

describe('Conv bad input', () => {
  const build = (shape: number[], attrs: Record<string, unknown>) => () =>
    new Sequential([null, ...shape], { registry }).add(Conv, attrs as never, 'c1').build({ backend: createCpuBackend() });
  it('kernel larger than the padded input: names node, attribute and sizes', () => {
    expect(build([1, 4, 4], { outChannels: 2, kernelShape: [3, 6], pads: [0, 1, 0, 0] })).toThrowError(
      /node 'c1' \(Conv\): attribute 'kernelShape': kernel 6 is larger than the padded input along W: 4 \+ pads 1 \+ 0 = 5.*input shapes: \[1, 1, 4, 4\]/,
    );
    expect(build([1, 4, 4], { outChannels: 2, kernelShape: [3, 3], dilations: [2, 1] })).toThrowError(/kernel 3 \(dilation 2: spans 5\) is larger than the padded input along H/);
  });
  it('groups not dividing the input channels', () => {
    expect(build([3, 5, 5], { outChannels: 4, kernelShape: [3, 3], group: 2 })).toThrowError(/node 'c1' \(Conv\): attribute 'group': 2 groups do not divide the 3 input channels.*\[1, 3, 5, 5\]/);
  });
  it('groups not dividing outChannels', () => {
    expect(build([4, 5, 5], { outChannels: 3, kernelShape: [3, 3], group: 2 })).toThrowError(/node 'c1'.*attribute 'group': 2 groups do not divide outChannels 3/);
  });
  it('negative pads, zero strides, dilation < 1', () => {
    expect(build([1, 5, 5], { outChannels: 1, kernelShape: [3, 3], pads: [0, -1, 0, 0] })).toThrowError(/node 'c1'.*attribute 'pads': expected values >= 0, found \[0, -1, 0, 0\]/);
    expect(build([1, 5, 5], { outChannels: 1, kernelShape: [3, 3], strides: [1, 0] })).toThrowError(/node 'c1'.*attribute 'strides': expected values >= 1, found \[1, 0\]/);
    expect(build([1, 5, 5], { outChannels: 1, kernelShape: [3, 3], dilations: [0, 1] })).toThrowError(/node 'c1'.*attribute 'dilations': expected values >= 1, found \[0, 1\]/);
    expect(build([1, 5, 5], { outChannels: 1, kernelShape: [3, 3], strides: [1] })).toThrowError(/attribute 'strides': expected 2 values for a 2-D kernel \[3, 3\], found \[1\]/);
  });
  it('input rank not matching the kernel', () => {
    expect(build([1, 5, 5], { outChannels: 1, kernelShape: [3] })).toThrowError(
      /node 'c1' \(Conv\): input rank 4 does not match the 1-D kernel \(attribute 'kernelShape' \[3\]\): expected \[N, C, L\].*input shapes: \[1, 1, 5, 5\]/,
    );
    expect(build([1, 5, 5], { outChannels: 1, kernelShape: [3] })).toThrowError(HubelError);
  });
});
