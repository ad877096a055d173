/** Learning-rate schedules as pure functions of the epoch (0-based); trainer plugins apply them. */
export type Schedule = (baseLr: number, epoch: number) => number;

/** lr · γ^⌊epoch / stepSize⌋. */
export function stepSchedule(stepSize: number, gamma = 0.1): Schedule {
  if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new RangeError(`stepSize must be a positive integer, found ${stepSize}`);
  return (lr, epoch) => lr * gamma ** Math.floor(epoch / stepSize);
}

/** Cosine annealing from lr to minLr over `epochs` epochs (Loshchilov & Hutter 2017, no restarts). */
export function cosineSchedule(epochs: number, minLr = 0): Schedule {
  if (!(Number.isInteger(epochs) && epochs > 0)) throw new RangeError(`epochs must be a positive integer, found ${epochs}`);
  return (lr, epoch) => minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(epoch, epochs)) / epochs))) / 2;
}
