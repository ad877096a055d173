// Draws the cell planes of a trained neocognitron's S layer (docs/guides/neocognitron.md). Run from the root:
//   TSX_TSCONFIG_PATH=docs/guides/examples/tsconfig.json node --import tsx docs/guides/examples/neocognitron-planes.ts out/neocognitron/model.onnx docs/guides/neocognitron-s1.png [s1]
// An S plane's weights are a 1×1 Conv's row over its connection area's patch (C maps × k × k),
// so `hubel visualize --what filters` would show 1×1 tiles; `sPlaneWeights` reads them back as
// [planes, C, k, k] filters. For S1 on the contrast layer's two maps (on- and off-centre), one
// tile per plane shows on − off: where the plane wants light (bright) and dark (dark) edges.
import { writeFile } from 'node:fs/promises';
import { createCpuBackend } from '@hubel/backend-cpu';
import { loadOnnx } from '@hubel/io';
import { sPlaneWeights, zooRegistry } from '@hubel/models';
import { encodePng, filterGrid } from '@hubel/viz';

const [modelPath, out, layer = 's1'] = process.argv.slice(2);
if (!modelPath || !out) {
  console.error('usage: neocognitron-planes.ts MODEL.onnx OUT.png [LAYER]');
  process.exit(2);
}
const model = await loadOnnx(modelPath, { registry: zooRegistry(), backend: createCpuBackend() });
const { values, shape } = await sPlaneWeights(model, layer);
const [planes, maps, k] = shape;
let tiles = values;
let tileShape: readonly number[] = shape;
if (maps === 2) {
  tiles = new Float32Array(planes * k * k);
  for (let p = 0; p < planes; p++) for (let t = 0; t < k * k; t++) tiles[p * k * k + t] = values[(p * 2) * k * k + t] - values[(p * 2 + 1) * k * k + t];
  tileShape = [planes, 1, k, k];
}
await writeFile(out, encodePng(filterGrid(tiles, tileShape, { columns: Math.min(planes, 8), scale: 8 })));
console.log(`${layer}: ${planes} planes of ${maps}×${k}×${k}${maps === 2 ? ' drawn as on − off' : ''} → ${out}`);
model.dispose();
