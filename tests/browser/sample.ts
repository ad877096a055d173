// The bundled Fashion-MNIST sample, fetched by the browser suites from the test server the way a
// page fetches it: through @hubel/data/browser (fetch + DecompressionStream + the IDX decoder).
import { fetchMnist, type ImageSet, type Split } from '@hubel/data/browser';

/** packages/data/sample/fashion-mnist/ as the Vite test server serves it (same origin). */
export const SAMPLE_URL: string = new URL('../../packages/data/sample/fashion-mnist/', import.meta.url).href;

const cache = new Map<Split, Promise<ImageSet>>();

/** One split of the sample (4,000 training or 1,000 test images), fetched once per test file. */
export function sample(split: Split): Promise<ImageSet> {
  let p = cache.get(split);
  if (!p) cache.set(split, (p = fetchMnist(SAMPLE_URL, { split })));
  return p;
}
