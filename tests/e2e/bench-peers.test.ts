// `pnpm bench --peers` compares Hubel's speed with TensorFlow.js's WebAssembly backend and ONNX
// Runtime. The comparison is fair only if the three compute the same thing from the same
// weights and inputs: this runs the peers harness (bench/peers) on small versions of the
// compared workloads and checks each peer's output against Hubel's.
import { describe, expect, it } from 'vitest';
import { alexnetForward } from '../../bench/workloads/alexnet.js';
import { convForward, lenetInference } from '../../bench/workloads/conv.js';
import { gemmSquare } from '../../bench/workloads/core.js';
import { loadPeers, maxRelativeError, peerOutputs } from '../../bench/peers/run-peers.js';
import type { Workload } from '../../bench/workload.js';

// Tolerance, as max |peer − Hubel| / max |Hubel| over the whole output. All three engines
// compute in float32 but sum in different orders (blocked GEMM, im2col or Winograd for Hubel;
// XNNPACK's kernels for TF.js; MLAS for ORT). A float32 dot product of K terms is typically off
// by about √K·2⁻²⁴ of its terms' magnitudes, ~2e-6 for the K ≤ 800 here; measured on these
// shapes (2026-12, x86-64): 0 to 1e-6 for both peers. 2e-5 is 20× that, room for other CPUs'
// kernels, while a wrong layout, weight order, bias or ReLU moves the output by a large fraction
// of its scale, and even TF.js's LRN alpha left undivided by the window size (a 5× error in a
// small term) shows as 7e-4 on the AlexNet stand-in.
const TOLERANCE = 2e-5;

const tiny: Workload[] = [
  convForward({ id: 'conv-5x5', name: 'conv 5×5 pad 2 (as W2)', n: 2, c: 6, hw: 9, out: 8, k: 5, pad: 2 }),
  convForward({ id: 'conv-3x3', name: 'conv 3×3 pad 1 (as W3)', n: 2, c: 16, hw: 7, out: 12, k: 3, pad: 1 }),
  gemmSquare('gemm-37', 'GEMM 37³ (as W4)', 37),
  lenetInference('lenet-b2', 2),
  alexnetForward('alexnet-w1/16', 'AlexNet at 1/16 width (as W7)', { width: 1 / 16 }),
];

describe('bench --peers computes the same thing on every engine', async () => {
  const peers = await loadPeers(2);
  for (const p of peers) {
    it(`${p.label} loads`, () => {
      expect('error' in p ? p.error : '').toBe('');
    });
  }
  for (const w of tiny) {
    it(`${w.id}: TF.js and ORT match Hubel`, async () => {
      const { hubel, peers: outs } = await peerOutputs(w, peers, 2);
      expect(hubel.length).toBeGreaterThan(0);
      const errors: Record<string, number | string> = {};
      for (const [k, y] of Object.entries(outs)) errors[k] = y instanceof Float32Array ? maxRelativeError(hubel, y) : y.reason;
      for (const [k, e] of Object.entries(errors)) expect(e, `${k}: ${JSON.stringify(errors)}`).toBeLessThanOrEqual(TOLERANCE);
      expect(Object.keys(errors).sort()).toEqual(['ort', 'tfjs_wasm']);
    });
  }
});
