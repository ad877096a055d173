// ONNX Runtime (onnxruntime-node, CPU execution provider) as a peer: the workload's ONNX form
// (bench/peers/onnx.ts) in one InferenceSession, intra-op threads = the bench's threads.
import { encodeModel } from '@hubel/io';
import type { PeerSpec } from '../workload.js';
import { reason, PeerUnsupported, type PeerLoad, type PeerRun } from './engine.js';
import { MATMUL_IO, specProto } from './onnx.js';

type Ort = typeof import('onnxruntime-node');

/**
 * Loads onnxruntime-node (a devDependency of bench only). Resolves to the engine, or to the
 * reason it cannot be loaded; never rejects.
 *
 * Sessions use `threads` intra-op threads and one inter-op thread, sequential execution, every
 * graph optimization, and no spinning of idle intra-op threads: with spinning (ORT's default)
 * the pool keeps burning a core for a while after each run, which on a 2-core machine would
 * slow the engine that runs next in the interleaved order.
 */
export async function loadOrt(threads: number): Promise<PeerLoad> {
  const id = { key: 'ort', vs: 'ort' };
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return { ...id, label: 'onnxruntime-node', error: `cannot load onnxruntime-node (${reason(e)}); it is a devDependency of bench: run pnpm install` };
  }
  const version = ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  } as const;
  const label = `onnxruntime-node ${version} (${threads} intra-op thread${threads === 1 ? '' : 's'})`;
  return {
    ...id,
    label,
    engine: {
      ...id,
      label,
      threads,
      facts: { ort_version: version },
      async prepare(spec: PeerSpec): Promise<PeerRun> {
        let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
        try {
          session = await ort.InferenceSession.create(encodeModel(await specProto(spec)), options);
        } catch (e) {
          throw new PeerUnsupported(`ONNX Runtime refused the model: ${reason(e)}`);
        }
        // onnxruntime-node refuses ('Invalid argument') arrays over a SharedArrayBuffer, where
        // Hubel's CPU backend keeps its tensors: those are copied once, here.
        const own = (x: Float32Array) => (x.buffer instanceof SharedArrayBuffer ? Float32Array.from(x) : x);
        const feeds: Record<string, InstanceType<Ort['Tensor']>> =
          spec.kind === 'model'
            ? { [session.inputNames[0]]: new ort.Tensor('float32', own(spec.input), [...spec.inputShape]) }
            : { [MATMUL_IO.a]: new ort.Tensor('float32', own(spec.a), [spec.m, spec.k]), [MATMUL_IO.b]: new ort.Tensor('float32', own(spec.b), [spec.k, spec.n]) };
        const outputName = session.outputNames[0];
        const forward = async () => (await session.run(feeds))[outputName];
        return {
          async run() {
            // session.run returns once the output is copied out to a JS typed array.
            (await forward()).dispose();
          },
          async output() {
            const y = await forward();
            const out = Float32Array.from(y.data as Float32Array);
            y.dispose();
            return out;
          },
          dispose: () => session.release(),
        };
      },
    },
  };
}
