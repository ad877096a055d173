import { HubelError } from '@hubel/core';
import { UsageError, flagHelp, type FlagSpecs } from './args.js';
import { ablate, ablateFlags } from './commands/ablate.js';
import { check, checkFlags } from './commands/check.js';
import { demo, demoDefaults } from './commands/demo.js';
import { diagnose, diagnoseFlags } from './commands/diagnose.js';
import { evalFlags, evaluate } from './commands/evaluate.js';
import { exportFlags, exportModel } from './commands/export.js';
import { fool, foolFlags } from './commands/fool.js';
import { gabor, gaborFlags } from './commands/gabor.js';
import { inspect, inspectFlags } from './commands/inspect.js';
import { search, searchFlags } from './commands/search.js';
import { train, trainFlags } from './commands/train.js';
import { visualize, visualizeFlags } from './commands/visualize.js';
import type { CliContext } from './context.js';
import { loadPluginFiles, pluginFlag, takePluginFlags, withPlugins } from './plugins.js';

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly flags: FlagSpecs;
  readonly run: (argv: readonly string[], ctx: CliContext) => Promise<number>;
}

const commands: Record<string, Command> = {
  train: { summary: 'train a model on IDX files or a folder of PNG/JPEG images, one sub-folder per class (default: the Fashion-MNIST convnet on the bundled sample)', usage: 'hubel train [flags]', flags: trainFlags, run: train },
  eval: { summary: 'error rate, top-k error and confusion matrix of an .onnx model', usage: 'hubel eval --model FILE.onnx [--data DIR] [--json]', flags: evalFlags, run: evaluate },
  inspect: { summary: 'print an .onnx model (or a zoo model): inputs, outputs, shapes at every layer, parameters', usage: 'hubel inspect FILE.onnx | hubel inspect --model NAME', flags: inspectFlags, run: inspect },
  export: { summary: 'write an untrained zoo model (e.g. AlexNet) as ONNX', usage: 'hubel export --model NAME --out FILE.onnx', flags: exportFlags, run: exportModel },
  demo: { summary: `train with demo defaults: ${demoDefaults}`, usage: 'hubel demo [train flags]', flags: trainFlags, run: demo },
  check: { summary: 'sanity checks: overfit the first N training images to 0% error; finite-difference gradient check of every parameter tensor', usage: 'hubel check overfit --model NAME|FILE.onnx [--data DIR] [--limit 100] | hubel check gradients --model NAME|FILE.onnx [--threshold T]', flags: checkFlags, run: check },
  diagnose: { summary: 'unit statistics per layer: sparsity, dead units, mean |correlation| between units, activation mean/std; heat maps and histograms with --out', usage: 'hubel diagnose --model FILE.onnx|NAME [--data DIR] [--limit N] [--json] [--out DIR]', flags: diagnoseFlags, run: diagnose },
  ablate: { summary: 'lesion each channel/unit of a trained model\'s layer and measure test error, or retrain a zoo model with components removed (no-bn, no-dropout, avgpool, tanh…) over seeds', usage: 'hubel ablate --model FILE.onnx --lesion LAYER [--whole-layers] [--data DIR] [--limit N] --out DIR | hubel ablate --model FILE.onnx --whole-layers [--data DIR] --out DIR | hubel ablate --model NAME --variants A,B,… [--seeds S] [--epochs E] [--limit N] --out DIR', flags: ablateFlags, run: ablate },
  search: { summary: 'hyperparameter search with cross-validation: grid, random or successive halving over learning rate, weight decay, batch, optimizer, schedule, hidden units, dropout; resumable', usage: 'hubel search --model NAME --space SPEC [--strategy grid|random|halving] [--trials N] [--folds K] [--epochs E] [--limit N] [--seed S] --out DIR', flags: searchFlags, run: search },
  visualize: { summary: 'look inside a model: filters, feature maps, top-9 image patches per unit, activation maximization, Gabor fits of filters with their R² (PNG)', usage: 'hubel visualize --model FILE.onnx|NAME --layer NAME --what filters|maps|patches|maximize|gabor-fit [--image N] [--data DIR] [--out DIR]', flags: visualizeFlags, run: visualize },
  fool: { summary: 'fooling images for every class (gradient ascent or evolution) and L∞ adversarial attacks (FGSM, PGD) with accuracy per ε', usage: 'hubel fool --model FILE.onnx --method gradient|evolve|fgsm|pgd [--from-image N] [--confidence 0.999] [--epsilon 0.01,0.03,0.1] [--limit N] --out DIR', flags: foolFlags, run: fool },
  gabor: { summary: 'a Gabor filter bank (orientations × scales × phases, zero-mean, unit-norm) as PNGs beside its 2-D Fourier magnitudes, and the spectra summed to show how it tiles the frequency plane', usage: 'hubel gabor [--orientations 8] [--scales 4] [--size 31] [--phases 0,90] [--gamma 0.5] --out DIR', flags: gaborFlags, run: gabor },
};

export function usage(): string {
  const w = Math.max(...Object.keys(commands).map((k) => k.length));
  return `usage: hubel <command> [flags]\n\ncommands:\n${Object.entries(commands)
    .map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`)
    .join('\n')}\n\nhubel <command> --help lists a command's flags.\n`;
}

/**
 * Runs the `hubel` command line and returns the exit code: 0 success, 1 a HubelError (bad
 * data, bad model, unwritable output…), 2 bad usage, 130 interrupted by Ctrl-C. Messages go
 * to `ctx.stderr` as `hubel: error: …`; nothing is thrown for expected failures.
 */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    ctx.stderr(`hubel: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout(`usage: ${command.usage}\n\n${command.summary}\n\n${flagHelp({ ...command.flags, plugin: pluginFlag })}\n`);
    return 0;
  }
  try {
    // --plugin PATH (any command, repeatable): imported and registered before the command runs.
    const { argv: args, paths } = takePluginFlags(rest, name);
    return await withPlugins(await loadPluginFiles(paths), () => command.run(args, ctx));
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.stderr(`${e.message}\n(see hubel ${name} --help)\n`);
      return 2;
    }
    if (e instanceof HubelError) {
      ctx.stderr(`hubel: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
