import type { Schedule } from '../../optim/schedules.js';
import type { Trainer, TrainerPlugin } from '../trainer.js';

/** Applies a schedule (stepSchedule, cosineSchedule, or your own) through the `learningRate` hook. */
export class LrSchedule implements TrainerPlugin {
  constructor(private readonly schedule: Schedule) {}

  /** Taps `learningRate` with the schedule. */
  apply(trainer: Trainer): void {
    trainer.hooks.learningRate.tap('LrSchedule', (lr, { epoch }) => this.schedule(lr, epoch));
  }
}
