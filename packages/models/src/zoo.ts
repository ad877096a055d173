import { HubelError, type Dataset, type GraphBuilder, type Model, type TrainerPlugin } from '@hubel/core';
import { alexnet, type AlexNetOptions } from './alexnet.js';
import { fashionNet, type FashionNetOptions } from './fashion.js';
import { hmax, imprintPrototypes, type HmaxOptions } from './hmax.js';
import { lenet5, type LeNetOptions } from './lenet.js';
import { mlp, type MlpOptions } from './mlp.js';
import { CompetitiveLearning } from './competitive-learning.js';
import { neocognitron, neocognitronPhases, type NeocognitronOptions } from './neocognitron.js';

/** A named zoo entry: what it is and how to build it. */
export interface ZooEntry<O> {
  /** One line describing the architecture, shown by `hubel inspect`. */
  readonly description: string;
  /** Input [C, H, W] and class count it is built with by default. */
  readonly defaultInput: readonly [number, number, number];
  /** Number of classes. */
  readonly defaultClasses: number;
  /** Builds the graph (not yet the model: call `.build({ backend })` on the result). */
  readonly build: (o?: O) => GraphBuilder;
  /** Size options the CLI may set (`--hidden`, `--dropout`); absent: none. */
  readonly knobs?: readonly ZooKnob[];
  /**
   * Ablation variants, by name (`no-bn`, `tanh`…): the builder options that remove or replace
   * one component, merged over the caller's options. `hubel ablate --variants` takes these
   * names; a third-party entry declares its own. Absent: none.
   */
  readonly variants?: Readonly<Record<string, ZooVariant<O>>>;
  /**
   * A model-specific step between building a fresh model and training it (HMAX imprints its S2
   * prototypes from training images). `hubel train` awaits it for a new zoo model, not when
   * resuming or fine-tuning a file. Absent: none.
   */
  readonly beforeTraining?: (model: Model, ctx: ZooTrainingContext) => Promise<void>;
  /**
   * Trainer plugins that the model's training needs, made afresh for each run (the
   * neocognitron's competitive learning of its S layers). `hubel train` adds them for a zoo
   * model, fresh or resumed (they must carry on from the trainer's position), never for a model
   * file. Absent: none.
   */
  readonly trainerPlugins?: (ctx: ZooTrainingContext) => readonly TrainerPlugin[];
}

/** What {@link ZooEntry.beforeTraining} and {@link ZooEntry.trainerPlugins} get besides the model. */
export interface ZooTrainingContext {
  /** The training set (validation images held out). */
  readonly train: Dataset;
  /** The run's seed. */
  readonly seed: number;
  /** Writes one line of progress for the user. */
  readonly log: (line: string) => void;
}

/** One ablation variant of a zoo entry: one component removed or replaced. */
export interface ZooVariant<O> {
  /** What the variant changes, one line (shown in ablation tables). */
  readonly description: string;
  /** Builder options that make the variant, merged over the full model's options. */
  readonly options: Partial<O>;
}

/** A single-number option of a zoo builder: hidden units of the fully connected layer, dropout ratio. */
export type ZooKnob = 'hidden' | 'dropout' | 'prototypes';

const fashionVariants: Readonly<Record<string, ZooVariant<FashionNetOptions>>> = {
  'no-bn': { description: 'no batch norm (convolutions get a bias)', options: { batchNorm: false } },
  'no-dropout': { description: 'dropout ratio 0', options: { dropout: 0 } },
  avgpool: { description: 'average pooling instead of max pooling', options: { pool: 'average' } },
  tanh: { description: 'tanh instead of ReLU', options: { activation: 'tanh' } },
};

const lenetVariants: Readonly<Record<string, ZooVariant<LeNetOptions>>> = {
  relu: { description: 'ReLU instead of tanh (average pooling kept)', options: { activation: 'relu', pool: 'average' } },
  maxpool: { description: 'max pooling instead of average pooling', options: { pool: 'max' } },
};

const alexnetVariants: Readonly<Record<string, ZooVariant<AlexNetOptions>>> = {
  'no-lrn': { description: 'no local response normalization', options: { lrn: false } },
  'no-dropout': { description: 'dropout ratio 0', options: { dropout: 0 } },
};

/**
 * The model zoo by the names the CLI accepts
 * (`--model lenet|fashion|alexnet|alexnet-1tower|mlp|hmax|neocognitron|neocognitron-backprop`).
 */
export const zoo = {
  fashion: { description: 'Fashion-MNIST convnet: (conv3×3–BN–ReLU–maxpool)×2, FC 128, dropout, 10 scores', defaultInput: [1, 28, 28], defaultClasses: 10, build: fashionNet, knobs: ['hidden', 'dropout'], variants: fashionVariants } as ZooEntry<FashionNetOptions>,
  lenet: { description: 'LeNet-5 (LeCun et al. 1998), tanh and average pooling, 28×28 input', defaultInput: [1, 28, 28], defaultClasses: 10, build: lenet5, variants: lenetVariants } as ZooEntry<LeNetOptions>,
  alexnet: { description: 'AlexNet (Krizhevsky et al. 2012), two towers, 3×227×227, 1000 classes', defaultInput: [3, 227, 227], defaultClasses: 1000, build: alexnet, knobs: ['dropout'], variants: alexnetVariants } as ZooEntry<AlexNetOptions>,
  'alexnet-1tower': {
    description: 'AlexNet with one tower (no grouped convolutions)',
    defaultInput: [3, 227, 227],
    defaultClasses: 1000,
    build: (o?: AlexNetOptions) => alexnet({ ...o, towers: 1 }),
    knobs: ['dropout'],
    variants: alexnetVariants,
  } as ZooEntry<AlexNetOptions>,
  mlp: { description: 'multilayer perceptron 784–256–128–10 with ReLU', defaultInput: [1, 28, 28], defaultClasses: 10, build: mlp } as ZooEntry<MlpOptions>,
  hmax: {
    description: 'HMAX (Serre et al. 2007): frozen Gabor S1, max C1, S2 RBF to imprinted prototypes, global-max C2, linear classifier',
    defaultInput: [1, 28, 28],
    defaultClasses: 10,
    build: hmax,
    knobs: ['prototypes'],
    beforeTraining: async (model, ctx) => {
      const records = await imprintPrototypes(model, ctx.train, { seed: ctx.seed });
      ctx.log(`hmax: imprinted ${records.length} S2 prototypes from C1 patches of ${new Set(records.map((r) => r.image)).size} training images; S1 and S2 stay frozen`);
    },
  } as ZooEntry<HmaxOptions>,
  neocognitron: {
    description: 'neocognitron (Fukushima 1980): 3 stages of S cells (unit-norm templates, V-cell inhibition, threshold θ) and blurring C cells, S layers self-organized by competitive learning, linear classifier',
    defaultInput: [1, 28, 28],
    defaultClasses: 10,
    build: neocognitron,
    trainerPlugins: (ctx) => {
      const phases = neocognitronPhases(ctx.train.length);
      ctx.log(`neocognitron: competitive learning of ${phases.map((p) => `${p.layer} on ${p.images.toLocaleString('en-US')}`).join(', ')} training images (θ_L ${phases.map((p) => p.theta).join(', ')}), one layer after the other, then the classifier by backprop with the S layers frozen`);
      return [new CompetitiveLearning({ phases, log: ctx.log })];
    },
  } as ZooEntry<NeocognitronOptions>,
  'neocognitron-backprop': {
    description: 'the neocognitron architecture with every S layer and the classifier trained by backprop (no competitive learning)',
    defaultInput: [1, 28, 28],
    defaultClasses: 10,
    build: (o?: NeocognitronOptions) => neocognitron({ ...o, learning: 'backprop' }),
  } as ZooEntry<NeocognitronOptions>,
} as const;

/** The names the zoo knows. */
export type ZooName = keyof typeof zoo;

/** The zoo entry called `name`; throws listing the known names. */
export function zooEntry(name: string): ZooEntry<FashionNetOptions & LeNetOptions & AlexNetOptions & MlpOptions & HmaxOptions & NeocognitronOptions> {
  if (!Object.hasOwn(zoo, name)) throw new HubelError('attribute', `unknown model '${name}' (known: ${Object.keys(zoo).join(', ')}, or a path to an .onnx file)`);
  return zoo[name as ZooName] as ZooEntry<object>;
}
