// The release check's model of changesets (tools/release/lib.ts) against the real
// `changeset version` on a small workspace that has every propagation case, plus its semver,
// changeset parser, test-file filter and tarball reader. The full rehearsal is `pnpm release:check`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  incVersion,
  isTestFile,
  packedRange,
  parseChangeset,
  planReleases,
  readChangesetConfig,
  readChangesets,
  readTarball,
  readWorkspacePackages,
  satisfies,
} from '../../tools/release/lib.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'hubel-release-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const write = (file: string, text: string) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
};

describe('release plan', () => {
  it('matches changeset version on every propagation case', () => {
    const ws = join(work, 'ws');
    const pkg = (dir: string, manifest: object) => write(join(ws, 'packages', dir, 'package.json'), JSON.stringify(manifest, null, 2));
    write(join(ws, 'package.json'), JSON.stringify({ name: 'fixture-root', private: true }));
    write(join(ws, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
    write(join(ws, '.changeset/config.json'), JSON.stringify({ changelog: '@changesets/cli/changelog', commit: false, access: 'public', baseBranch: 'main', updateInternalDependencies: 'patch', ignore: ['g'] }));
    // a: the bumped package. b: peer of a → major. c: dependency whose range a leaves → patch.
    // d: devDependency only → nothing. e: depends on c, which stays in range → nothing.
    // f: own patch, but a peer of a → major. g: ignored. h: own minor, depends on a → minor.
    pkg('a', { name: 'a', version: '0.1.0' });
    pkg('b', { name: 'b', version: '0.1.0', peerDependencies: { a: 'workspace:^' } });
    pkg('c', { name: 'c', version: '1.2.3', dependencies: { a: 'workspace:^' } });
    pkg('d', { name: 'd', version: '0.3.0', devDependencies: { a: 'workspace:^' } });
    pkg('e', { name: 'e', version: '2.0.0', dependencies: { c: 'workspace:~' } });
    pkg('f', { name: 'f', version: '0.5.0', peerDependencies: { a: 'workspace:^' } });
    pkg('g', { name: 'g', version: '0.0.1', private: true, dependencies: { a: 'workspace:*' } });
    pkg('h', { name: 'h', version: '1.0.0', dependencies: { a: 'workspace:*' } });
    write(join(ws, '.changeset/one.md'), '---\n"a": minor\n\'f\': patch\n---\n\nA feature of a.\n');
    write(join(ws, '.changeset/two.md'), '---\n"h": minor\n---\n\nh does more.\nOn two lines.\n');

    const { root: r, packages } = readWorkspacePackages(ws);
    const plan = planReleases([r, ...packages], readChangesets(ws), readChangesetConfig(ws));
    const planned = Object.fromEntries([...plan.values()].map((p) => [p.name, incVersion(p.oldVersion, p.type)]));
    expect(planned).toEqual({ a: '0.2.0', b: '1.0.0', c: '1.2.4', f: '1.0.0', h: '1.1.0' });
    expect(plan.get('b')!.reasons.join()).toMatch(/peer dependency a gets a minor bump/);

    symlinkSync(join(root, 'node_modules'), join(ws, 'node_modules'), 'junction');
    execFileSync(process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: ws, stdio: 'pipe' });
    const after = Object.fromEntries(readWorkspacePackages(ws).packages.map((p) => [p.manifest.name, p.manifest.version]));
    expect(after).toEqual({ a: '0.2.0', b: '1.0.0', c: '1.2.4', d: '0.3.0', e: '2.0.0', f: '1.0.0', g: '0.0.1', h: '1.1.0' });
    expect(readFileSync(join(ws, 'packages/h/CHANGELOG.md'), 'utf8')).toContain('On two lines.');
  }, 30_000);

  it('matches changeset version on a fixed group', () => {
    const ws = join(work, 'ws-fixed');
    const pkg = (dir: string, manifest: object) => write(join(ws, 'packages', dir, 'package.json'), JSON.stringify(manifest, null, 2));
    write(join(ws, 'package.json'), JSON.stringify({ name: 'fixture-root', private: true }));
    write(join(ws, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
    // p, q, r fixed together: r's minor lifts the group to minor; q's peer dependency on p then
    // makes q major, and with it the group (all 1.0.0); s, outside the group, depends on q and
    // leaves its range → patch.
    write(join(ws, '.changeset/config.json'), JSON.stringify({ changelog: '@changesets/cli/changelog', commit: false, access: 'public', baseBranch: 'main', updateInternalDependencies: 'patch', fixed: [['p', 'q', 'r']], ignore: [] }));
    pkg('p', { name: 'p', version: '0.4.0' });
    pkg('q', { name: 'q', version: '0.4.0', peerDependencies: { p: 'workspace:^' } });
    pkg('r', { name: 'r', version: '0.4.0' });
    pkg('s', { name: 's', version: '3.0.0', dependencies: { q: 'workspace:^' } });
    write(join(ws, '.changeset/one.md'), '---\n"p": patch\n"r": minor\n---\n\nTogether.\n');
    const { root: r, packages } = readWorkspacePackages(ws);
    const plan = planReleases([r, ...packages], readChangesets(ws), readChangesetConfig(ws));
    const planned = Object.fromEntries([...plan.values()].map((p) => [p.name, incVersion(p.oldVersion, p.type)]));
    symlinkSync(join(root, 'node_modules'), join(ws, 'node_modules'), 'junction');
    execFileSync(process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: ws, stdio: 'pipe' });
    const after = Object.fromEntries(readWorkspacePackages(ws).packages.map((p) => [p.manifest.name, p.manifest.version]));
    expect(planned).toEqual(Object.fromEntries(Object.entries(after).filter(([n, v]) => v !== { p: '0.4.0', q: '0.4.0', r: '0.4.0', s: '3.0.0' }[n])));
    expect(after.p).not.toBe('0.4.0');
    expect(after.p).toBe(after.q);
    expect(after.q).toBe(after.r);
  }, 30_000);

  it("reads this repository's changesets", () => {
    const { root: r, packages } = readWorkspacePackages(root);
    const plan = planReleases([r, ...packages], readChangesets(root), readChangesetConfig(root));
    for (const p of packages.filter((p) => p.dir.startsWith('packages/'))) expect(plan.has(p.manifest.name)).toBe(true);
  });
});

describe('helpers', () => {
  it('semver ranges', () => {
    expect(satisfies('0.2.0', '^0.1.0')).toBe(false);
    expect(satisfies('0.1.9', '^0.1.0')).toBe(true);
    expect(satisfies('1.9.0', '^1.2.3')).toBe(true);
    expect(satisfies('0.0.4', '^0.0.3')).toBe(false);
    expect(satisfies('1.2.9', '~1.2.3')).toBe(true);
    expect(satisfies('1.3.0', '~1.2.3')).toBe(false);
    expect(satisfies('2.0.0', '>=1.0.0 <2.0.0 || 2.0.0')).toBe(true);
    expect(() => satisfies('1.0.0', '1.x')).toThrow(/not a release version/);
    expect(incVersion('0.1.0', 'major')).toBe('1.0.0');
    expect(packedRange('workspace:^', '0.2.0')).toBe('^0.2.0');
    expect(packedRange('workspace:*', '0.2.0')).toBe('0.2.0');
  });

  it('changeset files', () => {
    expect(parseChangeset('x', '---\n"@hubel/core": minor\n---\n\nText.\n')).toEqual({ id: 'x', releases: [{ name: '@hubel/core', type: 'minor' }], summary: 'Text.' });
    expect(() => parseChangeset('y', 'no frontmatter')).toThrow(/y\.md: no frontmatter/);
    expect(() => parseChangeset('z', '---\n"a" minor\n---\n')).toThrow(/cannot read frontmatter line/);
  });

  it('test files', () => {
    expect(['src/a.test.ts', 'dist/a.test.js', 'dist/a.test.d.ts', 'test/x.ts', 'src/__tests__/y.js', 'dist/.tsbuildinfo'].filter(isTestFile)).toHaveLength(6);
    expect(['src/testing/index.ts', 'dist/testing/index.js', 'dist/latest.js', 'src/contest.ts'].filter(isTestFile)).toEqual([]);
  });

  it('tarballs, long names included', () => {
    const dir = join(work, 'tar');
    const long = `package/${'d'.repeat(60)}/${'f'.repeat(60)}.js`;
    write(join(dir, long), 'long');
    write(join(dir, 'package/package.json'), '{"name":"x"}');
    execFileSync('tar', ['czf', 'x.tgz', 'package'], { cwd: dir });
    const files = readTarball(readFileSync(join(dir, 'x.tgz')));
    expect(files.get('package/package.json')?.toString()).toBe('{"name":"x"}');
    expect(files.get(long)?.toString()).toBe('long');
  });
});
