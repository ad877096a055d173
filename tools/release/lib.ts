/**
 * Pure helpers of the release rehearsal (`pnpm release:check`, see check.ts): the workspace's
 * packages, the pending changesets, the release plan those imply under the rules of
 * @changesets/cli 2.31 (`changeset version`), a little semver, and a tarball reader. Nothing
 * here runs a process or writes a file, so tests/e2e/release-check.test.ts can check it on
 * small fixtures.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A changeset bump type; `none` is what changesets gives a dependent that needs no release. */
export type BumpType = 'major' | 'minor' | 'patch' | 'none';

/** The four dependency fields of a package.json, in the order changesets reads them. */
export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** One of {@link DEPENDENCY_FIELDS}. */
export type DependencyField = (typeof DEPENDENCY_FIELDS)[number];

/** The parts of a package.json the release check reads. */
export interface Manifest {
  readonly name: string;
  readonly version?: string;
  readonly private?: boolean;
  readonly [key: string]: unknown;
}

/** A package of the pnpm workspace. */
export interface WorkspacePackage {
  /** Folder relative to the workspace root, with forward slashes (`packages/core`). */
  readonly dir: string;
  readonly manifest: Manifest;
}

/** One `.changeset/*.md` file: the packages it bumps and the text it adds to their changelogs. */
export interface Changeset {
  /** File name without `.md`. */
  readonly id: string;
  readonly releases: readonly { readonly name: string; readonly type: Exclude<BumpType, 'none'> }[];
  readonly summary: string;
}

/** The fields of `.changeset/config.json` the release plan depends on. */
export interface ChangesetConfig {
  readonly ignore: readonly string[];
  readonly fixed: readonly (readonly string[])[];
  readonly linked: readonly (readonly string[])[];
  readonly updateInternalDependencies: 'patch' | 'minor';
  readonly privatePackages: { readonly version: boolean; readonly tag: boolean };
  readonly onlyUpdatePeerDependentsWhenOutOfRange: boolean;
  readonly updateInternalDependents: 'always' | 'out-of-range';
  readonly bumpVersionsWithWorkspaceProtocolOnly: boolean;
}

/** A package `changeset version` will change, with why. */
export interface PlannedRelease {
  readonly name: string;
  type: BumpType;
  readonly oldVersion: string;
  /** Ids of the changesets that name this package. */
  changesets: string[];
  /** Human-readable reasons for the bump (a changeset, or a dependency that moved). */
  readonly reasons: string[];
}

/** Reads a JSON file, naming it in the error when it cannot be parsed. */
export function readJson<T = unknown>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/**
 * The workspace's packages: the root, then every folder matched by pnpm-workspace.yaml's
 * `packages:` globs (plain folders and one trailing `/*` level are supported, which is all this
 * repository uses; anything else is an error rather than a silent miss).
 */
export function readWorkspacePackages(root: string): { root: WorkspacePackage; packages: WorkspacePackage[] } {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split(/\r?\n/)) {
    if (/^packages:\s*$/.test(line)) inPackages = true;
    else if (inPackages && /^\s+-\s+/.test(line)) globs.push(line.replace(/^\s+-\s+/, '').replace(/^['"]|['"]$/g, '').trim());
    else if (inPackages && /^\S/.test(line)) inPackages = false;
  }
  const dirs: string[] = [];
  for (const glob of globs) {
    if (glob.startsWith('!')) throw new Error(`pnpm-workspace.yaml: negated glob '${glob}' is not supported by the release check`);
    if (/^[\w.-]+(\/[\w.-]+)*$/.test(glob)) dirs.push(glob);
    else if (/^[\w.-]+(\/[\w.-]+)*\/\*$/.test(glob)) {
      const parent = glob.slice(0, -2);
      for (const d of readdirSync(join(root, parent), { withFileTypes: true })) if (d.isDirectory()) dirs.push(`${parent}/${d.name}`);
    } else throw new Error(`pnpm-workspace.yaml: glob '${glob}' is not supported by the release check (only 'dir' and 'dir/*')`);
  }
  const packages = dirs
    .filter((d) => existsSync(join(root, d, 'package.json')))
    .sort()
    .map((dir) => ({ dir, manifest: readJson<Manifest>(join(root, dir, 'package.json')) }));
  return { root: { dir: '.', manifest: readJson<Manifest>(join(root, 'package.json')) }, packages };
}

/** Parses one changeset file (YAML-ish frontmatter of `"name": bump` lines, then the summary). */
export function parseChangeset(id: string, text: string): Changeset {
  const m = /^---[ \t]*\r?\n([\s\S]*?)^---[ \t]*(?:\r?\n|$)([\s\S]*)$/m.exec(text);
  if (!m || m.index !== 0) throw new Error(`.changeset/${id}.md: no frontmatter (a '---' line, '"@scope/name": minor' lines, a '---' line)`);
  const releases: { name: string; type: Exclude<BumpType, 'none'> }[] = [];
  for (const raw of m[1].split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const r = /^(["']?)([^"':]+)\1\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
    if (!r) throw new Error(`.changeset/${id}.md: cannot read frontmatter line '${line}' (expected '"@scope/name": major|minor|patch')`);
    if (r[3] !== 'none') releases.push({ name: r[2], type: r[3] as Exclude<BumpType, 'none'> });
  }
  return { id, releases, summary: m[2].trim() };
}

/** Every pending changeset of the repository (`.changeset/*.md` except README.md), by file name. */
export function readChangesets(root: string): Changeset[] {
  const dir = join(root, '.changeset');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort()
    .map((f) => parseChangeset(f.slice(0, -3), readFileSync(join(dir, f), 'utf8')));
}

/** `.changeset/config.json` with changesets' defaults filled in. */
export function readChangesetConfig(root: string): ChangesetConfig {
  const raw = readJson<Record<string, unknown>>(join(root, '.changeset/config.json'));
  const unsafe = (raw.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH ?? {}) as Record<string, unknown>;
  const priv = raw.privatePackages;
  return {
    ignore: (raw.ignore as string[] | undefined) ?? [],
    fixed: (raw.fixed as string[][] | undefined) ?? [],
    linked: (raw.linked as string[][] | undefined) ?? [],
    updateInternalDependencies: (raw.updateInternalDependencies as 'patch' | 'minor' | undefined) ?? 'patch',
    privatePackages: priv === false ? { version: false, tag: false } : { version: true, tag: false, ...(priv as object | undefined) },
    onlyUpdatePeerDependentsWhenOutOfRange: unsafe.onlyUpdatePeerDependentsWhenOutOfRange === true,
    updateInternalDependents: unsafe.updateInternalDependents === 'always' ? 'always' : 'out-of-range',
    bumpVersionsWithWorkspaceProtocolOnly: raw.bumpVersionsWithWorkspaceProtocolOnly === true,
  };
}

// ---------------------------------------------------------------------------------------------
// A little semver: release versions x.y.z and the range forms internal dependencies use.

/** A release version `major.minor.patch` (prerelease versions are rejected: no pre mode here). */
export type Version = readonly [number, number, number];

/** Parses `x.y.z`; throws on anything else (prereleases, build metadata, partial versions). */
export function parseVersion(v: string): Version {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`'${v}' is not a release version x.y.z (prereleases are not supported by the release check)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Negative, zero or positive as a is lower, equal or higher than b. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a), y = parseVersion(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** `semver.inc(version, type)` for release versions; `none` returns the version unchanged. */
export function incVersion(version: string, type: BumpType): string {
  const [a, b, c] = parseVersion(version);
  if (type === 'major') return `${a + 1}.0.0`;
  if (type === 'minor') return `${a}.${b + 1}.0`;
  if (type === 'patch') return `${a}.${b}.${c + 1}`;
  return version;
}

/**
 * Whether `version` satisfies `range`, for the forms a workspace's internal ranges take: `*`,
 * exact `x.y.z` (or `=x.y.z`), `^x.y.z`, `~x.y.z`, comparators `>= > <= <` joined by spaces,
 * alternatives joined by `||`. Throws on other forms (x-ranges, hyphen ranges, partial versions)
 * instead of guessing.
 */
export function satisfies(version: string, range: string): boolean {
  return range.split('||').some((alt) => {
    const parts = alt.trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0) return true;
    return parts.every((p) => {
      if (p === '*' || p === 'x') return true;
      const m = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(p)!;
      const op = m[1] ?? '=';
      const [a, b, c] = parseVersion(m[2]);
      const cmp = compareVersions(version, m[2]);
      switch (op) {
        case '=':
          return cmp === 0;
        case '>=':
          return cmp >= 0;
        case '>':
          return cmp > 0;
        case '<=':
          return cmp <= 0;
        case '<':
          return cmp < 0;
        case '~':
          return cmp >= 0 && compareVersions(version, `${a}.${b + 1}.0`) < 0;
        default: {
          // ^: the leftmost non-zero part may not change
          const upper = a > 0 ? `${a + 1}.0.0` : b > 0 ? `0.${b + 1}.0` : `0.0.${c + 1}`;
          return cmp >= 0 && compareVersions(version, upper) < 0;
        }
      }
    });
  });
}

/** Whether `range` is one {@link satisfies} understands (and not a protocol such as `workspace:` or `file:`). */
export function isPlainRange(range: string): boolean {
  if (range.includes(':')) return false;
  try {
    satisfies('0.0.0', range);
    return true;
  } catch {
    return false;
  }
}

/**
 * What `pnpm pack` / `pnpm publish` write for a `workspace:` range of a dependency whose version
 * is `depVersion`: `workspace:^` → `^depVersion`, `workspace:~` → `~depVersion`, `workspace:*` →
 * `depVersion`, `workspace:<range>` → `<range>`. Other ranges are written as they are.
 */
export function packedRange(range: string, depVersion: string): string {
  if (!range.startsWith('workspace:')) return range;
  const r = range.slice('workspace:'.length);
  if (r === '^' || r === '~') return `${r}${depVersion}`;
  if (r === '*') return depVersion;
  return r;
}

// ---------------------------------------------------------------------------------------------
// The release plan, as @changesets/assemble-release-plan 6.0 computes it.

const RANK: Record<BumpType, number> = { none: 0, patch: 1, minor: 2, major: 3 };

/** Whether changesets skips a package (`ignore`, private packages when not versioned, no version). */
function skipped(p: WorkspacePackage, config: ChangesetConfig): boolean {
  if (config.ignore.includes(p.manifest.name)) return true;
  if (p.manifest.private && !config.privatePackages.version) return true;
  return !p.manifest.version;
}

/**
 * The dependents graph of @changesets/get-dependents-graph: for each package, the workspace
 * packages that depend on it (devDependencies included, except `link:`/`file:` ones; tags and
 * other protocols are not dependencies).
 */
function dependentsGraph(all: readonly WorkspacePackage[], config: ChangesetConfig): Map<string, string[]> {
  const byName = new Map(all.map((p) => [p.manifest.name, p]));
  const graph = new Map(all.map((p) => [p.manifest.name, [] as string[]]));
  for (const p of all) {
    const deps = new Map<string, string>();
    for (const field of DEPENDENCY_FIELDS) {
      for (const [name, range] of Object.entries((p.manifest[field] ?? {}) as Record<string, string>)) {
        if (field === 'devDependencies' && (range.startsWith('link:') || range.startsWith('file:'))) continue;
        deps.set(name, range);
      }
    }
    for (const [name, raw] of deps) {
      const dep = byName.get(name);
      if (!dep) continue;
      let range = raw;
      if (range.startsWith('workspace:')) {
        range = range.slice('workspace:'.length);
        if (range === '*' || range === '^' || range === '~' || range === dep.dir) {
          graph.get(name)!.push(p.manifest.name);
          continue;
        }
      } else if (config.bumpVersionsWithWorkspaceProtocolOnly) continue;
      if (!isPlainRange(range)) continue;
      if (!satisfies(dep.manifest.version ?? '0.0.0', range)) throw new Error(`${p.manifest.name} must depend on the current version of ${name}: '${dep.manifest.version}' vs '${raw}'`);
      graph.get(name)!.push(p.manifest.name);
    }
  }
  return graph;
}

/** The ranges `dependent` declares on `dep` (one per dependency field), as changesets reads them. */
function dependencyRanges(dependent: WorkspacePackage, dep: WorkspacePackage, oldVersion: string): { field: DependencyField; range: string }[] {
  const out: { field: DependencyField; range: string }[] = [];
  for (const field of DEPENDENCY_FIELDS) {
    let range = ((dependent.manifest[field] ?? {}) as Record<string, string>)[dep.manifest.name];
    if (!range) continue;
    if (range.startsWith('workspace:')) {
      range = range.slice('workspace:'.length);
      if (range === '*') range = oldVersion;
      else if (range === '^' || range === '~') range = `${range}${oldVersion}`;
      else if (!isPlainRange(range)) {
        if (range === dep.dir) range = oldVersion;
        else continue;
      }
    }
    out.push({ field, range });
  }
  return out;
}

/**
 * The releases `changeset version` makes from `changesets` (@changesets/cli 2.31's rules):
 * 1. each package takes the highest bump any changeset gives it;
 * 2. repeatedly, for every released package P and each workspace package D depending on it:
 *    - D's peer dependency on P with a minor or major bump of P makes D **major** (unless
 *      `onlyUpdatePeerDependentsWhenOutOfRange` and P's new version is still in D's range);
 *    - otherwise, if D is not released yet and P's new version leaves D's range (or
 *      `updateInternalDependents: "always"`), D gets a **patch** bump through `dependencies`,
 *      `optionalDependencies` or `peerDependencies` (a devDependency only records `none`);
 * 3. packages left at `none` are not released.
 * `updateInternalDependencies` only decides which ranges `changeset version` rewrites, not
 * bumps. A `fixed` group releases all its members together with the group's highest bump
 * (members without a changeset included), repeated with step 2 until nothing changes; all
 * members share one version, as Hubel's packages start at the same version. Linked groups and
 * pre mode are not modelled: they throw.
 */
export function planReleases(all: readonly WorkspacePackage[], changesets: readonly Changeset[], config: ChangesetConfig): Map<string, PlannedRelease> {
  if (config.linked.length > 0) throw new Error('.changeset/config.json: "linked" groups are not modelled by the release check; extend tools/release/lib.ts first');
  const versions = new Set(config.fixed.flat().map((n) => all.find((p) => p.manifest.name === n)?.manifest.version));
  if (versions.size > 1) throw new Error(`.changeset/config.json: the "fixed" group's packages have different versions (${[...versions].join(', ')}); the release check models a group at one version`);
  const byName = new Map(all.map((p) => [p.manifest.name, p]));
  const releases = new Map<string, PlannedRelease>();
  for (const cs of changesets) {
    for (const r of cs.releases) {
      const p = byName.get(r.name);
      if (!p) throw new Error(`.changeset/${cs.id}.md names '${r.name}', which is not a package of this workspace`);
      if (skipped(p, config)) continue;
      const existing = releases.get(r.name);
      if (!existing) {
        releases.set(r.name, { name: r.name, type: r.type, oldVersion: p.manifest.version!, changesets: [cs.id], reasons: [`${r.type} from .changeset/${cs.id}.md`] });
      } else {
        if (RANK[r.type] > RANK[existing.type]) existing.type = r.type;
        existing.changesets.push(cs.id);
        existing.reasons.push(`${r.type} from .changeset/${cs.id}.md`);
      }
    }
  }
  const graph = dependentsGraph(all, config);
  for (let changed = true; changed; ) {
    changed = false;
    for (const group of config.fixed) {
      const top = group.map((n) => releases.get(n)?.type ?? 'none').reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'none' as BumpType);
      if (top === 'none') continue;
      for (const n of group) {
        const current = releases.get(n);
        if (current?.type === top) continue;
        changed = true;
        const why = `${top}: the fixed group ${group.join(', ')} releases together`;
        if (current) {
          current.type = top;
          current.reasons.push(why);
        } else releases.set(n, { name: n, type: top, oldVersion: byName.get(n)!.manifest.version!, changesets: [], reasons: [why] });
      }
    }
    const queue = [...releases.values()];
    while (queue.length > 0) {
      const next = queue.shift()!;
      for (const dependent of graph.get(next.name) ?? []) {
        const d = byName.get(dependent)!;
        let type: BumpType | undefined;
        let why = '';
        if (skipped(d, config)) type = 'none';
        else {
          for (const { field, range } of dependencyRanges(d, byName.get(next.name)!, next.oldVersion)) {
            if (next.type === 'none') continue;
            const nextVersion = incVersion(next.oldVersion, next.type);
            const current = releases.get(dependent);
            if (
              field === 'peerDependencies' &&
              next.type !== 'patch' &&
              (!config.onlyUpdatePeerDependentsWhenOutOfRange || !satisfies(nextVersion, range)) &&
              (!current || current.type !== 'major')
            ) {
              type = 'major';
              why = `major: its peer dependency ${next.name} gets a ${next.type} bump (${next.oldVersion} → ${nextVersion}, range ${range})`;
            } else if ((!current || current.type === 'none') && (config.updateInternalDependents === 'always' || !satisfies(nextVersion, range))) {
              if (field === 'devDependencies') {
                if (type === undefined) type = 'none';
              } else if (type !== 'major' && type !== 'minor') {
                type = 'patch';
                why = `patch: ${next.name} ${nextVersion} leaves its ${field} range ${range}`;
              }
            }
          }
        }
        const current = releases.get(dependent);
        if (type === undefined || (current && current.type === type)) continue;
        changed = true;
        if (current && type === 'major' && current.type !== 'major') {
          current.type = 'major';
          current.reasons.push(why);
          queue.push(current);
        } else {
          const r: PlannedRelease = { name: dependent, type, oldVersion: d.manifest.version ?? '0.0.0', changesets: [], reasons: why ? [why] : [] };
          releases.set(dependent, r);
          queue.push(r);
        }
      }
    }
  }
  for (const [name, r] of releases) if (r.type === 'none') releases.delete(name);
  return releases;
}

// ---------------------------------------------------------------------------------------------
// Tarballs

/** Reads a gzipped tar (what `npm pack`/`pnpm pack` write): path → contents, regular files only. */
export function readTarball(gz: Uint8Array): Map<string, Buffer> {
  const tar = gunzipSync(gz);
  const files = new Map<string, Buffer>();
  const str = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');
  let paxPath: string | undefined;
  let longName: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = parseInt(str(h.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? str(h.subarray(345, 500)) : '';
    let name = (prefix ? `${prefix}/` : '') + str(h.subarray(0, 100));
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = m?.[1];
      continue;
    }
    if (type === 'L') {
      longName = str(body);
      continue;
    }
    name = paxPath ?? longName ?? name;
    paxPath = longName = undefined;
    if (type === '0' || type === '\0' || type === '7') files.set(name, Buffer.from(body));
  }
  return files;
}

/**
 * Files that are tests, not library: `*.test.*` / `*.spec.*`, anything under `__tests__`,
 * `__mocks__`, `test/` or `tests/` folders, and TypeScript build-info files. (`src/testing/` is
 * a published entry point, `@hubel/core/testing`, not a test file.)
 */
export function isTestFile(path: string): boolean {
  return /(^|\/)(__tests__|__mocks__|tests?)\//.test(path) || /\.(test|spec)\.(d\.)?[cm]?[jt]sx?(\.map)?$/.test(path) || /\.tsbuildinfo$/.test(path);
}

/** Every string target of an `exports` (or `imports`) value, conditions included. */
export function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(exportTargets);
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}
