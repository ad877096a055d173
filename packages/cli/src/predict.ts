import type { Dataset, Model } from '@hubel/core';

/**
 * Class scores of every example, in order: eval-mode forward passes of `batchSize` examples.
 * Returns the scores [N, C] row-major and the labels.
 */
export async function scoreDataset(model: Model, data: Dataset, batchSize: number): Promise<{ scores: Float32Array; labels: Int32Array; classes: number }> {
  const n = data.length;
  let scores = new Float32Array(0);
  let classes = 0;
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i);
    const { x, y } = data.batch(idx, model.backend);
    try {
      const out = model.predict(x);
      try {
        if (classes === 0) {
          classes = out.size / out.shape[0];
          scores = new Float32Array(n * classes);
        }
        scores.set(await out.read(), s * classes);
      } finally {
        out.dispose();
      }
      labels.set(await y.read(), s);
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return { scores, labels, classes };
}
