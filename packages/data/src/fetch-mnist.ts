/**
 * MNIST-format files over HTTP, for browsers (and any runtime with `fetch` and
 * `DecompressionStream`): the same files and checks as loadMnist, without the file system.
 */
import { HubelError } from '@hubel/core';
import { decodeIdx } from './idx-decode.js';
import { FASHION_MNIST_CLASSES, idxFileNames, idxImageSet, type ImageSet, type Split } from './mnist-format.js';

/** Default bound on a decompressed file: the full MNIST training images are 47 MB. */
const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

/**
 * Decompresses gzip data (recognized by its magic bytes 1f 8b; anything else is returned as
 * is) with the platform's `DecompressionStream`. Stops with a `format` error naming `source` as
 * soon as the output passes `maxBytes` (default 256 MiB), so a small corrupt or hostile file
 * cannot make it allocate without bound; a broken stream is a `format` error too.
 */
export async function gunzipBytes(bytes: Uint8Array, source = 'data', maxBytes = DEFAULT_MAX_BYTES): Promise<Uint8Array> {
  if (!(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  const Decompression = (globalThis as { DecompressionStream?: typeof DecompressionStream }).DecompressionStream;
  if (!Decompression) throw new HubelError('io', `${source}: gzip data, but this runtime has no DecompressionStream`);
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new Decompression('gzip'));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new HubelError('format', `${source}: decompresses to more than ${maxBytes} bytes (the limit)`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof HubelError) throw e;
    throw new HubelError('format', `${source}: corrupt or truncated gzip data (${(e as Error).message})`, { cause: e });
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Options of {@link fetchMnist}. */
export interface FetchMnistOptions {
  /** 'train' fetches train-*, 'test' t10k-*. Default 'train'. */
  readonly split?: Split;
  /** Keep only the first `limit` examples. */
  readonly limit?: number;
  /** Class names; default Fashion-MNIST's (the bundled sample's). */
  readonly classNames?: readonly string[];
  /** The fetch function; default `globalThis.fetch`. */
  readonly fetch?: (url: string) => Promise<Response>;
  /** Bound on each decompressed file in bytes; default 256 MiB. */
  readonly maxBytes?: number;
}

/**
 * Loads an MNIST-format split from the folder URL `baseUrl` (ending in '/'), trying the file
 * names loadMnist looks for on disk, gzipped first: e.g. the bundled Fashion-MNIST sample copied
 * next to a page. Pixels become float32 in [0, 1] as [N, 1, H, W]; labels int32. Throws an `io`
 * error naming the URLs tried when no file answers, `format` errors (naming the URL) for bad
 * gzip or IDX data and for image/label mismatches.
 */
export async function fetchMnist(baseUrl: string | URL, o: FetchMnistOptions = {}): Promise<ImageSet> {
  const split = o.split ?? 'train';
  const doFetch = o.fetch ?? ((url: string) => fetch(url));
  const base = String(baseUrl);
  const get = async (kind: 'images' | 'labels') => {
    const tried: string[] = [];
    for (const name of idxFileNames(split, kind)) {
      const url = new URL(name, base.endsWith('/') ? base : `${base}/`).href;
      let res: Response;
      try {
        res = await doFetch(url);
      } catch (e) {
        throw new HubelError('io', `${url}: fetch failed (${(e as Error).message})`, { cause: e });
      }
      if (res.status === 404) {
        tried.push(name);
        continue;
      }
      if (!res.ok) throw new HubelError('io', `${url}: HTTP ${res.status} ${res.statusText}`);
      const bytes = await gunzipBytes(new Uint8Array(await res.arrayBuffer()), url, o.maxBytes);
      return { url, data: decodeIdx(bytes, url, { rank: kind === 'images' ? 3 : 1, type: 'ubyte' }) };
    }
    throw new HubelError('io', `${base}: no ${split} ${kind} file (tried ${tried.join(', ')})`);
  };
  const images = await get('images');
  const labels = await get('labels');
  const classNames = o.classNames ?? FASHION_MNIST_CLASSES;
  const dataset = idxImageSet(images.data, labels.data, { classNames, limit: o.limit, imagesSource: images.url, labelsSource: labels.url });
  return { dataset, classNames, files: [images.url, labels.url] };
}
