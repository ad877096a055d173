import { FASHION_MNIST_SAMPLE_DIR, fetchMnist, gunzipBytes, loadFashionMnist } from '@hubel/data';
import { HubelError } from '@hubel/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** A fetch over a map of URL → bytes: 404 for anything else, as a static file server answers. */
function fakeFetch(files: Record<string, Uint8Array>, log: string[] = []) {
  return async (url: string) => {
    log.push(url);
    const body = files[url];
    return body ? new Response(body as Uint8Array<ArrayBuffer>) : new Response('not found', { status: 404, statusText: 'Not Found' });
  };
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

async function sampleFiles(base: string, names: string[]): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const n of names) out[base + n] = new Uint8Array(await readFile(join(FASHION_MNIST_SAMPLE_DIR, n)));
  return out;
}

describe('fetchMnist (the browser loader) on the bundled Fashion-MNIST sample', () => {
  it('gives exactly the dataset loadFashionMnist reads from disk, both splits', async () => {
    const base = 'http://127.0.0.1/data/';
    const files = await sampleFiles(base, ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    for (const split of ['train', 'test'] as const) {
      const viaFetch = await fetchMnist(base, { split, fetch: fakeFetch(files) });
      const fromDisk = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR, { split });
      expect(viaFetch.dataset.length).toBe(split === 'train' ? 4000 : 1000);
      expect(viaFetch.dataset.inputShape).toEqual([1, 28, 28]);
      expect(viaFetch.classNames).toEqual(fromDisk.classNames);
      // Byte comparison: toEqual walks 3 million floats element by element (≈20 s).
      expect(sameBytes(viaFetch.dataset.x, fromDisk.dataset.x)).toBe(true);
      expect(sameBytes(viaFetch.dataset.y, fromDisk.dataset.y)).toBe(true);
      expect(viaFetch.files).toEqual([`${base}${split === 'train' ? 'train' : 't10k'}-images-idx3-ubyte.gz`, `${base}${split === 'train' ? 'train' : 't10k'}-labels-idx1-ubyte.gz`]);
    }
  });

  it('falls back to the uncompressed names after a 404, and honours limit', async () => {
    const base = 'http://127.0.0.1/raw/';
    const gz = await sampleFiles(base, ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    const raw: Record<string, Uint8Array> = {};
    for (const [url, bytes] of Object.entries(gz)) raw[url.replace(/\.gz$/, '')] = await gunzipBytes(bytes);
    const log: string[] = [];
    const set = await fetchMnist(base, { split: 'test', limit: 10, fetch: fakeFetch(raw, log) });
    expect(set.dataset.length).toBe(10);
    expect(log).toEqual([`${base}t10k-images-idx3-ubyte.gz`, `${base}t10k-images-idx3-ubyte`, `${base}t10k-labels-idx1-ubyte.gz`, `${base}t10k-labels-idx1-ubyte`]);
  });

  it('names the folder and the files tried when none exists', async () => {
    const err = await fetchMnist('http://127.0.0.1/empty/', { fetch: fakeFetch({}) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubelError);
    expect((err as Error).message).toBe('http://127.0.0.1/empty/: no train images file (tried train-images-idx3-ubyte.gz, train-images-idx3-ubyte, train-images.idx3-ubyte.gz, train-images.idx3-ubyte)');
  });

  it('reports an HTML page served in place of a file as not IDX, naming the URL', async () => {
    const url = 'http://127.0.0.1/spa/train-images-idx3-ubyte.gz';
    const err = await fetchMnist('http://127.0.0.1/spa/', { fetch: fakeFetch({ [url]: new TextEncoder().encode('<!doctype html>') }) }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`${url}: not an IDX file: magic number must start with bytes 00 00, found 0x3c 0x21`);
  });
});

describe('gunzipBytes', () => {
  it('round-trips gzip, passes other bytes through, and refuses output past maxBytes', async () => {
    const plain = Uint8Array.from({ length: 5000 }, (_, i) => i % 7);
    expect(await gunzipBytes(gzipSync(plain))).toEqual(plain);
    expect(await gunzipBytes(plain)).toBe(plain);
    await expect(gunzipBytes(gzipSync(plain), 'bomb.gz', 4096)).rejects.toThrow('bomb.gz: decompresses to more than 4096 bytes (the limit)');
  });

  it('turns a truncated gzip stream into a format error naming the source', async () => {
    const gz = gzipSync(Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251));
    const err = await gunzipBytes(gz.subarray(0, gz.length - 20), 'cut.gz').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubelError);
    expect((err as HubelError).code).toBe('format');
    expect((err as Error).message).toMatch(/^cut\.gz: corrupt or truncated gzip data/);
  });
});
