// WebGPU reports validation errors, shader compile errors and device loss asynchronously.
// This sink collects them from error scopes, the `uncapturederror` event and `device.lost`,
// and the backend throws them as HubelErrors at the next read or sync, so a bad shader or
// binding is never a silent wrong answer.
import { HubelError } from '@hubel/core';

/** Collects a device's asynchronous errors until the next `check()` throws them. */
export class GpuErrorSink {
  #pending = new Set<Promise<void>>();
  #errors: { error: HubelError; rank: number }[] = [];
  #lost: HubelError | undefined;
  #destroyedByUs = false;

  constructor(device: GPUDevice) {
    device.addEventListener('uncapturederror', (ev) => {
      ev.preventDefault();
      this.report(new HubelError('backend', `webgpu backend: uncaptured ${errorKind((ev as GPUUncapturedErrorEvent).error)}: ${(ev as GPUUncapturedErrorEvent).error.message}`));
    });
    void device.lost.then((info) => {
      if (info.reason === 'destroyed' && this.#destroyedByUs) return;
      this.#lost = new HubelError('backend', `webgpu backend: the device was lost (${info.reason}): ${info.message}`);
    });
  }

  /** Marks a deliberate `device.destroy()` so it is not reported as a loss. */
  destroying(): void {
    this.#destroyedByUs = true;
  }

  /** The device-loss error, if the device was lost. */
  get lost(): HubelError | undefined {
    return this.#lost;
  }

  /** Throws synchronously when the device is gone (lost, or disposed). */
  throwIfLost(what: string): void {
    if (this.#lost) throw new HubelError('backend', `${what}: ${this.#lost.message}`, { cause: this.#lost });
  }

  /** Records an error; lower `rank` is reported first (a shader's compile error before the batch it broke). */
  report(error: HubelError, rank = 1): void {
    this.#errors.push({ error, rank });
  }

  /** Follows an async check (a popped error scope); whatever it reports is thrown at the next `check`. */
  track(p: Promise<HubelError | null | undefined>, rank = 1): void {
    const q: Promise<void> = p.then(
      (e) => void (e && this.report(e, rank)),
      (e) => this.report(new HubelError('backend', `webgpu backend: ${(e as Error).message}`, { cause: e }), rank),
    );
    this.#pending.add(q);
    void q.finally(() => this.#pending.delete(q));
  }

  /** Waits for every tracked check, then throws the first error seen (and forgets the rest). */
  async check(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
    if (this.#lost) throw this.#lost;
    const [first, ...rest] = this.#errors.sort((a, b) => a.rank - b.rank).map((e) => e.error);
    this.#errors = [];
    if (first) {
      if (rest.length) first.message += `\n(and ${rest.length} more error${rest.length > 1 ? 's' : ''}: ${rest.map((e) => e.message).join(' | ')})`;
      throw first;
    }
  }
}

/** 'GPUValidationError', 'GPUOutOfMemoryError', … for messages. */
export function errorKind(e: GPUError): string {
  const name = e.constructor?.name;
  return name && name !== 'Object' ? name : 'GPU error';
}
