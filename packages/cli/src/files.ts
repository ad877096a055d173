import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubelError } from '@hubel/core';

/**
 * Creates `dir` if needed and proves it writable by writing and removing a probe file, so a
 * bad `--out` fails before any training time is spent.
 */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.hubel-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new HubelError('io', `output directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
}
