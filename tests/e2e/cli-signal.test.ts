// A real Ctrl-C: SIGINT to a `hubel train` process stops it after the current batch, writes
// a checkpoint and exits with 130, leaving no model.onnx.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('hubel train under SIGINT', () => {
  it('checkpoints and exits 130', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-sigint-'));
    // 2,000 images in batches of 8: far more batches than the time to the first progress line.
    const child = spawn(process.execPath, ['--conditions=@hubel/source', '--import', 'tsx', 'packages/cli/src/bin.ts', 'train', '--limit', '2000', '--batch', '8', '--epochs', '1', '--out', out], { cwd: repo });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /epoch 1 \[/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted at epoch 1: checkpoint written to/);
    expect(existsSync(join(out, 'checkpoint.onnx'))).toBe(true);
    expect(existsSync(join(out, 'model.onnx'))).toBe(false);
  });
});
