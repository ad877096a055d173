// Shared by the cli-*.test.ts files: run `hubel` in-process with captured output, and read
// the bundled sample's IDX files with a decoder written here from the format (big-endian
// header, then bytes), independent of @hubel/data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { main, type CliContext } from '@hubel/cli';
import { FASHION_MNIST_SAMPLE_DIR } from '@hubel/data';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `hubel argv…`. `interruptWhen(stderrSoFar)` returning true fires the Ctrl-C handler the
 * command registered, exactly as a SIGINT would.
 */
export async function hubel(argv: string[], interruptWhen?: (stderr: string) => boolean): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let handler: (() => void) | undefined;
  let fired = false;
  const ctx: CliContext = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => {
      stderr += s;
      if (interruptWhen && handler && !fired && interruptWhen(stderr)) {
        fired = true;
        handler();
      }
    },
    tty: false,
    onInterrupt: (h) => {
      handler = h;
      return () => void (handler = undefined);
    },
  };
  const code = await main(argv, ctx);
  return { code, stdout, stderr };
}

/** The first `limit` images (uint8, [n, 28·28]) and labels of a split of the bundled sample. */
export function sampleSplit(split: 'train' | 't10k', limit: number): { pixels: Uint8Array; labels: Uint8Array; n: number } {
  const images = gunzipSync(readFileSync(join(FASHION_MNIST_SAMPLE_DIR, `${split}-images-idx3-ubyte.gz`)));
  const labels = gunzipSync(readFileSync(join(FASHION_MNIST_SAMPLE_DIR, `${split}-labels-idx1-ubyte.gz`)));
  const n = Math.min(limit, images.readUInt32BE(4));
  // IDX: images have a 16-byte header (magic, count, rows, cols), labels an 8-byte one.
  return { pixels: images.subarray(16, 16 + n * 784), labels: labels.subarray(8, 8 + n), n };
}
