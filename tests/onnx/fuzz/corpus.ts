// The files the fuzzer mutates: every zoo model exported by Hubel (AlexNet at reduced width
// and input size so one input takes milliseconds) and ONNX's own conformance models.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@hubel/backend-cpu';
import { exportOnnx } from '@hubel/io';
import { zoo, type ZooName } from '@hubel/models';
import { fuzzRegistry } from './target.js';

/** A file of the corpus: its name (for reports), its group and its bytes. */
export interface CorpusFile {
  readonly name: string;
  readonly group: 'zoo' | 'conformance';
  readonly bytes: Uint8Array;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Where ONNX's node test cases are vendored (one folder per case, each with model.onnx). */
export const CONFORMANCE_CASES = resolve(here, '../../conformance/onnx-cases/cases');

// Options per zoo model: defaults, except AlexNet at 1/16 width on 99×99 inputs, 10 classes, and
// the neocognitron with two small stages (every kind of node it has, a fraction of the work).
const SMALL_ALEXNET = { width: 1 / 16, inputShape: [3, 99, 99] as const, classes: 10 };
const SMALL_NEOCOGNITRON = { stages: [{ planes: 4, size: 3, theta: 0.5, floor: 0.01 }, { planes: 4, size: 3, theta: 0.4, floor: 0.01 }] };
const ZOO_OPTIONS: Readonly<Record<ZooName, object>> = {
  fashion: {},
  lenet: {},
  alexnet: SMALL_ALEXNET,
  'alexnet-1tower': SMALL_ALEXNET,
  mlp: {},
  hmax: { prototypes: 8 },
  neocognitron: SMALL_NEOCOGNITRON,
  'neocognitron-backprop': SMALL_NEOCOGNITRON,
};

/** Every zoo model, exported with a fixed seed (so the corpus, and every mutant, is reproducible). */
export async function zooFiles(): Promise<CorpusFile[]> {
  const registry = fuzzRegistry();
  const backend = createCpuBackend();
  const out: CorpusFile[] = [];
  for (const name of Object.keys(zoo) as ZooName[]) {
    const model = zoo[name].build({ registry, ...ZOO_OPTIONS[name] } as never).build({ backend, seed: 7 });
    try {
      out.push({ name: `zoo/${name}`, group: 'zoo', bytes: await exportOnnx(model, { metadata: { 'hubel.fuzz': name } }) });
    } finally {
      model.dispose();
    }
  }
  return out;
}

/** ONNX's conformance models, sorted by case name. */
export function conformanceFiles(dir = CONFORMANCE_CASES): CorpusFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .filter((c) => existsSync(join(dir, c, 'model.onnx')))
    .map((c) => ({ name: `conformance/${c}`, group: 'conformance' as const, bytes: new Uint8Array(readFileSync(join(dir, c, 'model.onnx'))) }));
}

/** The whole corpus: zoo exports first, then the conformance models. */
export async function buildCorpus(): Promise<CorpusFile[]> {
  return [...(await zooFiles()), ...conformanceFiles()];
}
