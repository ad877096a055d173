/**
 * `pnpm conformance`: runs the conformance project and repeats its summary
 * (`conformance: N passed, N failed, N unsupported`) alone on the last line of output,
 * after vitest's own report. The exit status is vitest's.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The package's bin script (not in its exports map, so located beside package.json).
const vitest = resolve(dirname(createRequire(resolve(root, 'package.json')).resolve('vitest/package.json')), 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', '--project', 'conformance', ...process.argv.slice(2)], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
let summary = '';
let buffered = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  buffered += chunk.toString('utf8');
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const l of lines) if (/^conformance: \d+ passed, \d+ failed, \d+ unsupported$/.test(l.trim())) summary = l.trim();
});
child.on('close', (code) => {
  if (buffered && /^conformance: /.test(buffered.trim())) summary = buffered.trim();
  console.log(summary || 'conformance: no summary (the suite did not run; see the errors above)');
  process.exit(code ?? 1);
});
