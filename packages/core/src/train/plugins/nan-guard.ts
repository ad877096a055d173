import { HubelError } from '../../errors.js';
import { layerLabel } from '../../layer.js';
import type { Trainer, TrainerPlugin } from '../trainer.js';

function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/**
 * Stops training with a clear error when a value becomes NaN or ±Inf, naming the first layer
 * whose output went bad. On backends with synchronous reads (CPU) every node's output is
 * checked right after its forward, before any update; elsewhere the batch loss is checked.
 * Taps `batchEnd` at stage -100 so it runs before loggers.
 */
export class NanGuard implements TrainerPlugin {
  apply(trainer: Trainer): void {
    const model = trainer.model;
    let tapped = false;
    trainer.hooks.runStart.tap('NanGuard', () => {
      if (!model.backend.readSync || tapped) return;
      tapped = true;
      for (const node of model.nodes) {
        model.hooks.forward.for(node.name).tap('NanGuard', ({ outputs, mode }) => {
          if (mode !== 'train') return;
          outputs.forEach((t, i) => {
            const values = t.readSync();
            const at = firstNonFinite(values);
            if (at >= 0) {
              throw new HubelError(
                'non-finite',
                `NanGuard: output ${i} ('${node.outputs[i]}') of node '${node.name}' (${layerLabel(node.layer)}) has ${values[at]} at flat index ${at}, at epoch ${trainer.epoch + 1}; the layers before it produced finite values`,
              );
            }
          });
        });
      }
    });
    trainer.hooks.batchEnd.tap({ name: 'NanGuard', stage: -100 }, (b) => {
      if (!Number.isFinite(b.loss)) {
        throw new HubelError('non-finite', `NanGuard: the loss is ${b.loss} at epoch ${b.epoch + 1}, batch ${b.batch + 1}`);
      }
    });
  }
}
