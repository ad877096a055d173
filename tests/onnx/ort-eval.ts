/**
 * Evaluates an exported Hubel model with ONNX Runtime (an independent engine) on the test split
 * of an MNIST-format IDX directory: `node --conditions=@hubel/source --import tsx
 * tests/onnx/ort-eval.ts MODEL.onnx DATA_DIR`. Prints JSON: examples, accuracy, error.
 */
import { readFile } from 'node:fs/promises';
import { loadMnist } from '@hubel/data';
import * as ort from 'onnxruntime-node';

const [modelPath, dataDir] = process.argv.slice(2);
if (!modelPath || !dataDir) {
  console.error('usage: tests/onnx/ort-eval.ts MODEL.onnx DATA_DIR');
  process.exit(2);
}
const { dataset } = await loadMnist(dataDir, { split: 'test' });
const session = await ort.InferenceSession.create(new Uint8Array(await readFile(modelPath)));
const x = dataset.x as Float32Array;
const per = dataset.inputShape.reduce((a, b) => a * b, 1);
let correct = 0;
const batch = 500;
for (let s = 0; s < dataset.length; s += batch) {
  const n = Math.min(batch, dataset.length - s);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.subarray(s * per, (s + n) * per), [n, ...dataset.inputShape]) };
  const out = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
  const classes = out.length / n;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (out[i * classes + c] > out[i * classes + best]) best = c;
    if (best === dataset.y[s + i]) correct++;
  }
}
console.log(JSON.stringify({ engine: 'onnxruntime-node', examples: dataset.length, accuracy: correct / dataset.length, error: 1 - correct / dataset.length }));
