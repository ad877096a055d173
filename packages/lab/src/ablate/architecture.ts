/**
 * Architecture ablation: the full zoo model and each declared variant (one component removed or
 * replaced, `ZooEntry.variants`) are trained from scratch with the same seeds, data and budget,
 * and their validation and test errors compared as mean ± std over the seeds.
 */
import { Adam, HubelError, LrSchedule, Trainer, cosineSchedule, type AnyLayer, type Backend, type Dataset, type Registry, type TrainerPlugin } from '@hubel/core';
import type { ZooEntry } from '@hubel/models';

/** Options of {@link ablateArchitecture}. */
export interface AblationOptions {
  /** Zoo name of the model (for messages and tables). */
  readonly modelName: string;
  /** The zoo entry; its `variants` are the ones that can be asked for. */
  readonly entry: ZooEntry<object>;
  /** Variant names to train besides the full model (which is always trained, first). */
  readonly variants: readonly string[];
  /** Seeds (initialization, shuffling, dropout); every variant is trained once per seed. */
  readonly seeds: readonly number[];
  /** Epochs per run. */
  readonly epochs: number;
  /** Training examples. */
  readonly train: Dataset;
  /** Validation examples (error after the last epoch); optional. */
  readonly validation?: Dataset;
  /** Test examples (error of the final model); optional. */
  readonly test?: Dataset;
  /** Image shape [C, H, W] and class count the models are built for. */
  readonly inputShape: readonly [number, number, number];
  /** Number of classes. */
  readonly classes: number;
  /** Registry holding the model's layers and the loss. */
  readonly registry: Registry;
  /** Where to compute. */
  readonly backend: Backend;
  /** Builder options shared by every variant (under the variant's own); default none. */
  readonly buildOptions?: Record<string, unknown>;
  /** Mini-batch size; default 64. */
  readonly batchSize?: number;
  /** Adam's learning rate (cosine schedule over the epochs); default 0.001. */
  readonly lr?: number;
  /** Loss layer; default the registry's SoftmaxCrossEntropyLoss. */
  readonly loss?: AnyLayer;
  /** Extra Trainer plugins per run, fresh each time (e.g. a `BatchNormFinalizer`). */
  readonly plugins?: () => TrainerPlugin[];
  /** Called after each run (progress). */
  readonly onRun?: (run: AblationRun) => void;
}

/** One training run of one variant with one seed. */
export interface AblationRun {
  /** `full` or the variant's name. */
  readonly variant: string;
  /** The seed. */
  readonly seed: number;
  /** Validation error after the last epoch (NaN without validation data). */
  readonly valError: number;
  /** Test error of the trained model (NaN without test data). */
  readonly testError: number;
  /** Parameters of the model. */
  readonly params: number;
  /** Wall time of the run. */
  readonly seconds: number;
}

/** Mean and sample standard deviation (0 for one value). */
export interface MeanStd {
  /** Mean. */
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  readonly std: number;
}

/** One row of an ablation table. */
export interface AblationRow {
  /** `full` or the variant's name. */
  readonly variant: string;
  /** What the variant changes (`full model` for the full one). */
  readonly description: string;
  /** Its runs, one per seed. */
  readonly runs: readonly AblationRun[];
  /** Validation error over the seeds. */
  readonly val: MeanStd;
  /** Test error over the seeds. */
  readonly test: MeanStd;
  /** Mean validation error minus the full model's. */
  readonly dVal: number;
  /** Mean test error minus the full model's. */
  readonly dTest: number;
}

/** What {@link ablateArchitecture} returns. */
export interface AblationResult {
  /** The model's zoo name. */
  readonly model: string;
  /** The full model first, then the variants in the order asked. */
  readonly rows: readonly AblationRow[];
  /** Seeds used. */
  readonly seeds: readonly number[];
  /** Epochs per run. */
  readonly epochs: number;
  /** Training, validation and test examples. */
  readonly examples: { readonly train: number; readonly validation: number; readonly test: number };
  /** Wall time of the whole study. */
  readonly seconds: number;
}

/** Throws for variants `entry` does not declare, listing the ones it does. */
export function checkVariants(modelName: string, entry: ZooEntry<object>, variants: readonly string[]): void {
  const known = Object.keys(entry.variants ?? {});
  if (!variants.length) throw new HubelError('attribute', `ablation: no variants given (model '${modelName}' has: ${known.join(', ') || 'none'})`);
  for (const v of variants) {
    if (!known.includes(v)) throw new HubelError('attribute', `ablation: model '${modelName}' has no variant '${v}' (its variants: ${known.join(', ') || 'none'})`);
  }
  const dup = variants.find((v, i) => variants.indexOf(v) !== i);
  if (dup !== undefined) throw new HubelError('attribute', `ablation: variant '${dup}' is given twice`);
}

/** Mean and sample standard deviation of `xs`. */
export function meanStd(xs: readonly number[]): MeanStd {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/**
 * Trains the full zoo model and each asked-for variant once per seed, with the same data,
 * epochs, batch size and optimizer (Adam, cosine schedule), and returns the validation and test
 * error per variant as mean ± std over the seeds with the difference from the full model.
 * Throws for an unknown variant (listing the model's), no seeds or a bad budget.
 */
export async function ablateArchitecture(o: AblationOptions): Promise<AblationResult> {
  const t0 = performance.now();
  checkVariants(o.modelName, o.entry, o.variants);
  if (!o.seeds.length || !o.seeds.every((s) => Number.isInteger(s))) throw new HubelError('attribute', `ablation: seeds must be a non-empty list of integers, found [${o.seeds.join(', ')}]`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new HubelError('attribute', `ablation: epochs must be a positive integer, found ${o.epochs}`);
  const batchSize = o.batchSize ?? 64;
  const lr = o.lr ?? 0.001;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new HubelError('attribute', `ablation: batchSize must be a positive integer, found ${batchSize}`);
  if (!(lr > 0)) throw new HubelError('attribute', `ablation: lr must be positive, found ${lr}`);
  const loss = o.loss ?? lossFrom(o.registry);
  const names = ['full', ...o.variants];
  const rows: AblationRow[] = [];
  for (const variant of names) {
    const spec = variant === 'full' ? undefined : o.entry.variants![variant];
    const runs: AblationRun[] = [];
    for (const seed of o.seeds) {
      const r0 = performance.now();
      const model = o.entry.build({ ...o.buildOptions, registry: o.registry, inputShape: o.inputShape, classes: o.classes, ...spec?.options }).build({ backend: o.backend, seed });
      const optimizer = new Adam({ lr });
      try {
        const plugins: TrainerPlugin[] = [new LrSchedule(cosineSchedule(o.epochs)), ...(o.plugins?.() ?? [])];
        const trainer = new Trainer({ model, loss, optimizer, seed, plugins });
        const summary = await trainer.fit({ train: o.train, validation: o.validation, epochs: o.epochs, batchSize, evalBatchSize: 256 });
        const valError = summary.history.at(-1)?.valError ?? NaN;
        const testError = o.test ? (await trainer.evaluate(o.test, 256)).error : NaN;
        const run: AblationRun = { variant, seed, valError, testError, params: model.paramCount(), seconds: (performance.now() - r0) / 1000 };
        runs.push(run);
        o.onRun?.(run);
      } finally {
        model.dispose();
        optimizer.dispose();
      }
    }
    const val = meanStd(runs.map((r) => r.valError));
    const test = meanStd(runs.map((r) => r.testError));
    const full = rows[0];
    rows.push({ variant, description: spec?.description ?? 'full model', runs, val, test, dVal: full ? val.mean - full.val.mean : 0, dTest: full ? test.mean - full.test.mean : 0 });
  }
  return {
    model: o.modelName,
    rows,
    seeds: o.seeds,
    epochs: o.epochs,
    examples: { train: o.train.length, validation: o.validation?.length ?? 0, test: o.test?.length ?? 0 },
    seconds: (performance.now() - t0) / 1000,
  };
}

function lossFrom(registry: Registry): AnyLayer {
  if (!registry.hasLayer('', 'SoftmaxCrossEntropyLoss')) throw new HubelError('unknown-layer', 'ablation: no loss given and SoftmaxCrossEntropyLoss is not registered (register @hubel/layers-loss or pass options.loss)');
  return registry.layer('', 'SoftmaxCrossEntropyLoss');
}

const pct = (x: number) => (Number.isNaN(x) ? '—' : (100 * x).toFixed(2));
const pm = (m: MeanStd) => (Number.isNaN(m.mean) ? '—' : `${pct(m.mean)} ± ${pct(m.std)}`);
const diff = (x: number, first: boolean) => (first ? '—' : Number.isNaN(x) ? '—' : `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(2)}`);

/** A Markdown report of an ablation study: errors in percent, mean ± std over the seeds, differences in points. */
export function formatAblationTable(r: AblationResult): string {
  const head =
    `Ablation of ${r.model}: ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} per run, seeds ${r.seeds.join(', ')} (${r.seeds.length} run${r.seeds.length === 1 ? '' : 's'} per variant), ` +
    `${r.examples.train} training, ${r.examples.validation} validation, ${r.examples.test} test images; ${r.seconds.toFixed(1)} s in all.\n` +
    `Errors in %, mean ± std over the seeds; Δ: difference of the mean from the full model, in percentage points.\n\n`;
  const rows = r.rows.map((row, i) => `| ${row.variant} | ${row.description} | ${row.runs[0]?.params.toLocaleString('en-US') ?? ''} | ${pm(row.val)} | ${diff(row.dVal, i === 0)} | ${pm(row.test)} | ${diff(row.dTest, i === 0)} | ${(row.runs.reduce((a, b) => a + b.seconds, 0) / row.runs.length).toFixed(1)} |`);
  return `${head}| variant | change | parameters | validation error | Δ val | test error | Δ test | s per run |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n${rows.join('\n')}\n`;
}
