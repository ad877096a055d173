import { HubelError } from '../../errors.js';
import { layerLabel } from '../../layer.js';
import type { Trainer, TrainerPlugin } from '../trainer.js';

/**
 * Index of the first NaN or ±Inf in a, or −1. One multiply-add per value on the clean path (v·0
 * is NaN only for non-finite v), into four independent sums: one sum would make every add wait
 * for the previous one (a NaN guard scanning every activation took 8% of a training step).
 */
export function firstNonFinite(a: ArrayLike<number>): number {
  let p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  const n4 = a.length - (a.length % 4);
  for (let i = 0; i < n4; i += 4) {
    p0 += a[i] * 0;
    p1 += a[i + 1] * 0;
    p2 += a[i + 2] * 0;
    p3 += a[i + 3] * 0;
  }
  for (let i = n4; i < a.length; i++) p0 += a[i] * 0;
  if (p0 + p1 + p2 + p3 === 0) return -1;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/**
 * Stops training with a clear error when a value becomes NaN or ±Inf, naming the first layer
 * whose output went bad. On backends with synchronous reads (CPU) every node's output is
 * checked right after its forward (scanned in place where the backend allows), before any
 * update; elsewhere the batch loss is checked.
 * Taps `batchEnd` at stage -100 so it runs before loggers.
 */
export class NanGuard implements TrainerPlugin {
  /** On `runStart`, taps every node's forward hook (sync-read backends only); taps `batchEnd` at stage -100 for the loss. */
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
            // Scan in place where the backend allows it (CPU): copying every activation cost
            // 13% of a Fashion-MNIST training step.
            const at = model.backend.firstNonFiniteSync?.(t) ?? firstNonFinite(model.backend.peekSync?.(t) ?? t.readSync());
            if (at >= 0) {
              const values = model.backend.peekSync?.(t) ?? t.readSync();
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
