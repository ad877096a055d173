// A stranger's clone: `git clone` of this repository into an empty temporary folder (nothing
// beside it, so no ../shared), the README's install (pnpm with the frozen lockfile), then
// `pnpm conformance` there. The suite must find ONNX's cases inside the clone and pass them all;
// a case read from outside the clone would fail here. It clones what is committed (HEAD): on a
// developer's machine, uncommitted changes are not part of the run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'hubel-bare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// pnpm 12 is a native binary; under `pnpm test` (or `npx pnpm@12.4.2 test`) npm_execpath points at it.
const pnpm = process.env.npm_execpath?.includes('pnpm') ? process.env.npm_execpath : 'pnpm';
// The clone must not inherit a pointer to cases elsewhere.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'ONNX_CONFORMANCE_DIR' && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, npm_config_fund: 'false' }, maxBuffer: 64 << 20 });

describe('a bare clone', () => {
  it('installs with the frozen lockfile and passes the conformance suite with nothing beside it', () => {
    const clone = join(work, 'hubel');
    run('git', ['clone', '--quiet', '--no-local', root, clone], work);
    expect(readdirSync(work)).toEqual(['hubel']);
    expect(existsSync(join(clone, 'tests/conformance/onnx-cases/cases/test_basic_conv_with_padding/model.onnx'))).toBe(true);
    run(pnpm, ['install', '--frozen-lockfile', '--prefer-offline'], clone);
    const out = run(pnpm, ['conformance'], clone);
    const summary = out.trim().split('\n').pop()!.trim();
    const m = /^conformance: (\d+) passed, (\d+) failed, (\d+) unsupported$/.exec(summary);
    expect(m, `last line of pnpm conformance in the clone: ${summary}`).not.toBeNull();
    expect(Number(m![2])).toBe(0);
    // Every case the clone found came from inside it: passed + unsupported is the number of case folders there.
    const cases = readdirSync(join(clone, 'tests/conformance/onnx-cases/cases')).filter((d) => d.startsWith('test_')).length;
    expect(Number(m![1]) + Number(m![3])).toBe(cases);
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(out).toContain(join(clone, 'tests/conformance/onnx-cases/cases'));
  }, 600_000);
});
