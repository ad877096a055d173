import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubelError } from '@hubel/core';
import { dataDirKind, parseSplitFractions, readImageFolder, scanImageFolder, type ImageFolderScan } from '@hubel/data';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'hubel-imgdir-'));
let serial = 0;
/** A fresh directory under the test's temporary root. */
const fresh = () => {
  const d = join(root, `d${serial++}`);
  mkdirSync(d);
  return d;
};
/** A gray PNG of `size`×`size` filled with `value`. */
const grayPng = (value: number, size = 4) => encodePng({ width: size, height: size, channels: 1, depth: 8, data: new Uint8Array(size * size).fill(value) });
function put(dir: string, path: string, bytes: Uint8Array | string): string {
  const file = join(dir, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}
/** `counts[c]` images in class folder `names[c]`, image k of class c filled with value 10·c + k. */
function classFolders(dir: string, names: string[], counts: number[]): void {
  names.forEach((name, c) => {
    for (let k = 0; k < counts[c]; k++) put(dir, join(name, `img${String(k).padStart(3, '0')}.png`), grayPng(10 * c + k));
  });
}

async function rejects(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected an error matching ${pattern}`).toBeInstanceOf(HubelError);
  expect((e as HubelError).code).toBe(code);
  expect((e as Error).message).toMatch(pattern);
}

const partFiles = (s: ImageFolderScan, part: 'train' | 'validation' | 'test') => s.parts[part]?.files ?? [];

describe('scanImageFolder: class folders split by fractions', () => {
  const dir = fresh();
  classFolders(dir, ['dog', 'Cat', 'bird'], [20, 10, 5]);

  it('sorts class names by code unit, splits each class by the fractions, deterministically from the seed', async () => {
    const s = await scanImageFolder(dir, { seed: 7 });
    expect(s.layout).toBe('class-folders');
    expect(s.classNames).toEqual(['Cat', 'bird', 'dog']);
    expect(s.split).toEqual({ fractions: [0.8, 0.1, 0.1], seed: 7 });
    const count = (part: 'train' | 'validation' | 'test', c: number) => Array.from(s.parts[part]?.labels ?? []).filter((y) => y === c).length;
    // Per class: round(n·0.1) to validation and to test (10 → 1 + 1, 20 → 2 + 2, 5 → round(0.5) = 1 + 1).
    expect([0, 1, 2].map((c) => [count('train', c), count('validation', c), count('test', c)])).toEqual([
      [8, 1, 1],
      [3, 1, 1],
      [16, 2, 2],
    ]);
    const all = [...partFiles(s, 'train'), ...partFiles(s, 'validation'), ...partFiles(s, 'test')];
    expect(new Set(all).size).toBe(35);
    // Labels follow the folder each file is in.
    for (const part of ['train', 'validation', 'test'] as const) {
      s.parts[part]!.files.forEach((f, i) => expect(f.includes(`/${s.classNames[s.parts[part]!.labels[i]]}/`)).toBe(true));
    }
    const again = await scanImageFolder(dir, { seed: 7 });
    expect(partFiles(again, 'test')).toEqual(partFiles(s, 'test'));
    const other = await scanImageFolder(dir, { seed: 8 });
    expect(partFiles(other, 'test')).not.toEqual(partFiles(s, 'test'));
  });

  it('adding images to one class leaves the split of the others unchanged', async () => {
    const d2 = fresh();
    classFolders(d2, ['dog', 'Cat', 'bird'], [20, 10, 5]);
    const before = await scanImageFolder(d2, { seed: 3 });
    put(d2, 'dog/zzz.png', grayPng(1));
    const after = await scanImageFolder(d2, { seed: 3 });
    const notDog = (files: readonly string[]) => files.filter((f) => !f.includes('/dog/'));
    for (const part of ['train', 'validation', 'test'] as const) expect(notDog(partFiles(after, part))).toEqual(notDog(partFiles(before, part)));
  });

  it('takes other fractions, keeps a training image in every class, and checks the fractions', async () => {
    const s = await scanImageFolder(dir, { fractions: [0.5, 0, 0.5] });
    expect(s.parts.validation).toBeUndefined();
    expect(partFiles(s, 'test').length).toBe(5 + 3 + 10); // round(2.5) = 3 for the 5-image class
    const tiny = fresh();
    classFolders(tiny, ['a', 'b'], [1, 2]);
    const t = await scanImageFolder(tiny, { fractions: [0.2, 0.4, 0.4] });
    expect(Array.from(t.parts.train!.labels)).toEqual([0, 1]);
    expect(parseSplitFractions('0.7, 0.2,0.1')).toEqual([0.7, 0.2, 0.1]);
    expect(() => parseSplitFractions('0.8,0.2')).toThrow(/expected three fractions TRAIN,VAL,TEST such as 0\.8,0\.1,0\.1/);
    expect(() => parseSplitFractions('0.8,0.3,0.1')).toThrow(/must sum to 1, found 1\.2/);
    expect(() => parseSplitFractions('0,0.5,0.5')).toThrow(/training fraction must be positive/);
    await rejects(scanImageFolder(dir, { fractions: [1.5, -0.5, 0] }), 'attribute', /each in \[0, 1\]/);
  });
});

describe('scanImageFolder: train/ val/ test/ folders', () => {
  it('reads the parts from their folders (valid/ is the validation folder); class names come from train/', async () => {
    const dir = fresh();
    classFolders(join(dir, 'train'), ['a', 'b', 'c'], [3, 3, 3]);
    classFolders(join(dir, 'valid'), ['a', 'b', 'c'], [1, 1, 1]);
    classFolders(join(dir, 'test'), ['a', 'c'], [2, 2]);
    const s = await scanImageFolder(dir);
    expect(s.layout).toBe('split-folders');
    expect(s.folders).toEqual({ train: 'train', validation: 'valid', test: 'test' });
    expect(s.classNames).toEqual(['a', 'b', 'c']);
    expect(Array.from(s.parts.test!.labels)).toEqual([0, 0, 2, 2]);
    expect(s.parts.validation!.files.length).toBe(3);
  });

  it('rejects a class in test/ that train/ lacks, split folders mixed with class folders, two validation folders', async () => {
    const dir = fresh();
    classFolders(join(dir, 'train'), ['a', 'b'], [2, 2]);
    classFolders(join(dir, 'test'), ['a', 'b', 'zebra'], [1, 1, 1]);
    await rejects(scanImageFolder(dir), 'format', /test: class 'zebra' is not in .*train \(its classes: a, b\); every class needs training images/);
    const mixed = fresh();
    classFolders(join(mixed, 'train'), ['a', 'b'], [2, 2]);
    classFolders(mixed, ['cat'], [1]);
    await rejects(scanImageFolder(mixed), 'format', /holds split folders \(train\/\) and other folders \(cat\/\)/);
    const twice = fresh();
    classFolders(join(twice, 'val'), ['a', 'b'], [1, 1]);
    classFolders(join(twice, 'validation'), ['a', 'b'], [1, 1]);
    await rejects(scanImageFolder(twice), 'format', /both val\/ and validation\/ look like the validation folder/);
    const loose = fresh();
    put(loose, 'train/x.png', grayPng(0));
    await rejects(scanImageFolder(loose), 'format', /train: no class folders \(it holds 1 images directly, e.g\. x\.png; put them in one sub-folder per class\)/);
  });
});

describe('scanImageFolder: bad folders', () => {
  it('names the problem: empty, no class folders, one class, a class folder without images', async () => {
    await rejects(scanImageFolder(fresh()), 'io', /is empty \(expected one sub-folder per class holding PNG or JPEG files\)/);
    const flat = fresh();
    put(flat, 'a.png', grayPng(0));
    await rejects(scanImageFolder(flat), 'format', /no class folders \(expected one sub-folder per class .* found 1 file, 1 of them images, e.g\. a\.png: put them in one sub-folder per class\)/);
    const one = fresh();
    classFolders(one, ['only'], [3]);
    await rejects(scanImageFolder(one), 'format', /found 1 class folder \(only\); a classifier needs at least 2 classes/);
    const hollow = fresh();
    classFolders(hollow, ['a'], [2]);
    put(hollow, 'b/notes.txt', 'hello');
    await rejects(scanImageFolder(hollow), 'format', /b: class folder 'b' holds no PNG or JPEG images \(found 1 other file, e\.g\. notes\.txt\)/);
    mkdirSync(join(hollow, 'c'));
    put(hollow, 'b/x.png', grayPng(1));
    await rejects(scanImageFolder(hollow), 'format', /c: class folder 'c' holds no PNG or JPEG images \(it is empty\)/);
    await rejects(scanImageFolder(join(hollow, 'missing')), 'io', /does not exist/);
  });

  it('dataDirKind tells IDX directories from image folders', async () => {
    const idx = fresh();
    put(idx, 'train-images-idx3-ubyte.gz', '');
    expect(await dataDirKind(idx)).toBe('idx');
    expect(await dataDirKind(fresh())).toBe('image-folder');
  });
});

describe('readImageFolder', () => {
  it('decodes PNG and JPEG into [N, C, H, W] in [0, 1] with labels; skips non-images with one warning; hidden files are ignored', async () => {
    const dir = fresh();
    classFolders(dir, ['a', 'b'], [2, 2]);
    const rgba = new Uint8Array(4 * 4 * 4);
    for (let p = 0; p < 16; p++) rgba.set([90, 90, 90, 255], p * 4);
    put(dir, 'b/nested/photo.JPG', new Uint8Array(jpeg.encode({ width: 4, height: 4, data: rgba }, 100).data));
    put(dir, 'a/readme.txt', 'not an image');
    put(dir, 'b/.DS_Store', 'junk');
    put(dir, 'labels.csv', 'a,b');
    const warnings: string[] = [];
    const r = await readImageFolder(dir, { channels: 1, fractions: [1, 0, 0], onWarning: (m) => warnings.push(m) });
    expect(r.classNames).toEqual(['a', 'b']);
    const train = r.train!;
    expect(train.dataset.inputShape).toEqual([1, 4, 4]);
    expect(train.dataset.length).toBe(5);
    expect(Array.from(train.dataset.y)).toEqual([0, 0, 1, 1, 1]);
    expect(train.files.map((f) => f.slice(dir.length + 1))).toEqual(['a/img000.png', 'a/img001.png', 'b/img000.png', 'b/img001.png', 'b/nested/photo.JPG']);
    // Image 1 of class a is filled with value 1, image 0 of class b with 10, the JPEG with 90 (±JPEG rounding).
    const x = train.dataset.x;
    expect(x[16]).toBe(Math.fround(1 / 255));
    expect(x[2 * 16 + 5]).toBe(Math.fround(10 / 255));
    expect(Math.abs(x[4 * 16 + 7] * 255 - 90)).toBeLessThanOrEqual(2);
    expect(warnings).toEqual([expect.stringMatching(/skipped 2 files that are not PNG or JPEG by extension \(\.png, \.jpg, \.jpeg, \.jpe, \.jfif\): labels\.csv, a\/readme\.txt$/)]);
    const rgb = await readImageFolder(dir, { channels: 3, fractions: [1, 0, 0] });
    expect(rgb.train!.dataset.inputShape).toEqual([3, 4, 4]);
    expect(rgb.train!.dataset.x[3 * 16 * 2 + 16 + 3]).toBe(Math.fround(10 / 255)); // the green plane of b/img000
  });

  it('rejects an image of another size naming the file and both sizes, or resizes it when asked', async () => {
    const dir = fresh();
    classFolders(dir, ['a', 'b'], [2, 2]);
    put(dir, 'b/wide.png', grayPng(200, 8));
    await rejects(readImageFolder(dir, { fractions: [1, 0, 0] }), 'shape', /b\/wide\.png: image is 8×8 \(height×width\), expected 4×4 like the first image \(a\/img000\.png\); set resize: 'area' or 'bilinear' to resize images/);
    await rejects(readImageFolder(dir, { fractions: [1, 0, 0], size: [4, 4], resizeHint: 'pass --resize area' }), 'shape', /wide\.png: image is 8×8 \(height×width\), expected 4×4; pass --resize area$/);
    const r = await readImageFolder(dir, { fractions: [1, 0, 0], size: [2, 2], resize: 'area', channels: 1 });
    expect(r.train!.dataset.inputShape).toEqual([1, 2, 2]);
    expect(Array.from(r.train!.dataset.x.subarray(4 * 4))).toEqual(Array(4).fill(Math.fround(200 / 255)));
  });

  it('a corrupt image or a file that is not what its extension says is an error naming the file', async () => {
    const dir = fresh();
    classFolders(dir, ['a', 'b'], [2, 2]);
    const broken = grayPng(5).slice(0, 30);
    put(dir, 'a/broken.png', broken);
    await rejects(readImageFolder(dir, { fractions: [1, 0, 0] }), 'format', /a\/broken\.png: corrupt PNG/);
    const d2 = fresh();
    classFolders(d2, ['a', 'b'], [2, 2]);
    put(d2, 'b/fake.jpg', 'GIF89a and so on');
    await rejects(readImageFolder(d2, { fractions: [1, 0, 0] }), 'format', /b\/fake\.jpg: not a PNG or JPEG file \(it starts with bytes 47 49 46 38: a GIF; convert it to PNG\)/);
  });

  it('decodes only the parts asked for; limit takes classes in turn', async () => {
    const dir = fresh();
    classFolders(dir, ['a', 'b', 'c'], [10, 10, 10]);
    put(dir, 'c/zz-broken.png', 'not a png at all');
    // With the broken file in the training part only (fractions put it there), reading the test part succeeds.
    const s = await scanImageFolder(dir, { fractions: [0.5, 0, 0.5], seed: 2 });
    const brokenPart = s.parts.train!.files.some((f) => f.endsWith('zz-broken.png')) ? 'train' : 'test';
    const other = brokenPart === 'train' ? 'test' : 'train';
    const r = await readImageFolder(s, { parts: [other] });
    expect(r[brokenPart]).toBeUndefined();
    expect(r[other]!.dataset.length).toBe(s.parts[other]!.files.length);
    const limited = await readImageFolder(dir, { fractions: [1, 0, 0], limit: 7, parts: ['train'] });
    expect(Array.from(limited.train!.dataset.y)).toEqual([0, 0, 0, 1, 1, 2, 2]);
  });
});
