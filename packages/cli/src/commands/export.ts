import { resolve } from 'node:path';
import { HubelError } from '@hubel/core';
import { parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { writeModelFile } from '../persist.js';
import { cliRegistry, cliZooEntry, createBackend } from '../runtime.js';

export const exportFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'NAME', help: 'zoo model: fashion, lenet, alexnet, alexnet-1tower, mlp' },
  out: { kind: 'string', meta: 'FILE', help: 'the .onnx file to write' },
  seed: { kind: 'int', meta: 'N', help: 'initialization seed', default: '1' },
  classes: { kind: 'int', meta: 'N', help: 'output classes', default: "the model's own (10, or 1000 for AlexNet)" },
  width: { kind: 'number', meta: 'X', help: 'AlexNet width multiplier', default: '1' },
};

/** `hubel export --model NAME --out FILE.onnx`: an untrained zoo model written as ONNX (atomically). */
export async function exportModel(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags } = parseArgs(argv, exportFlags, 'export');
  const name = flags.model as string | undefined;
  const out = flags.out as string | undefined;
  if (!name || !out) throw new HubelError('attribute', 'hubel export: needs --model NAME and --out FILE.onnx');
  const entry = cliZooEntry(name);
  const registry = cliRegistry();
  const backend = await createBackend(registry, 'cpu');
  const model = entry
    .build({ registry, classes: (flags.classes as number | undefined) ?? entry.defaultClasses, ...(flags.width !== undefined ? { width: flags.width as number } : {}) })
    .build({ backend, seed: (flags.seed as number | undefined) ?? 1 });
  const file = resolve(out);
  await writeModelFile(file, model, { 'hubel.model': name, 'hubel.trained': 'false', 'hubel.input': `float32 [N, ${model.inputs[0].shape.slice(1).join(', ')}], pixel values scaled to [0, 1]` });
  ctx.stderr(`wrote ${file}: ${name}, ${model.paramCount().toLocaleString('en-US')} parameters (untrained)\n`);
  model.dispose();
  return 0;
}
