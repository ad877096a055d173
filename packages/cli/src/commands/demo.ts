import { FASHION_MNIST_SAMPLE_DIR } from '@hubel/data';
import type { CliContext } from '../context.js';
import { train } from './train.js';

export const demoDefaults = 'the Fashion-MNIST convnet, 3 epochs on the bundled 4,000-image sample, output in out/demo';

/**
 * `hubel demo`: `hubel train` with defaults sized to finish in a few minutes on two cores
 * (flags given still override them).
 */
export function demo(argv: readonly string[], ctx: CliContext): Promise<number> {
  return train(argv, ctx, { model: 'fashion', data: FASHION_MNIST_SAMPLE_DIR, epochs: 3, out: 'out/demo' });
}
