import { HubelError } from '@hubel/core';
import { formatLayerTable, layerTable } from '@hubel/models';
import { parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { isModelFile } from '../model-source.js';
import { describeModelFile, readModelFile } from '../persist.js';
import { cliRegistry, cliZooEntry, createBackend } from '../runtime.js';

export const inspectFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'NAME', help: 'inspect a zoo model (fashion, lenet, alexnet, alexnet-1tower, mlp) instead of a file' },
};

/**
 * `hubel inspect FILE.onnx` (opset, inputs/outputs, metadata, then every node's output shape
 * and parameter count) or `hubel inspect --model NAME` for an untrained zoo model.
 */
export async function inspect(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, inspectFlags, 'inspect');
  const spec = (flags.model as string | undefined) ?? positionals[0];
  if (!spec) throw new HubelError('attribute', 'hubel inspect: give a model file (hubel inspect model.onnx) or --model NAME');
  const registry = cliRegistry();
  const backend = await createBackend(registry, 'cpu');
  if (isModelFile(spec)) {
    ctx.stdout(`${await describeModelFile(spec)}\n\n`);
    const model = await readModelFile(spec, registry, backend);
    ctx.stdout(`${formatLayerTable(layerTable(model))}\n`);
    model.dispose();
    return 0;
  }
  const entry = cliZooEntry(spec);
  const model = entry.build({ registry }).build({ backend });
  ctx.stdout(`${spec}: ${entry.description}\ninput [N, ${entry.defaultInput.join(', ')}]\n\n${formatLayerTable(layerTable(model))}\n`);
  model.dispose();
  return 0;
}
