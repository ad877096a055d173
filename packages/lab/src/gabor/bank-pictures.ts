/**
 * Pictures of a filter bank and its spectra: the filters as a grid, each filter's Fourier
 * magnitude in the same grid position, the two side by side, and the sum of all magnitudes
 * (how the bank tiles the frequency plane). Drawn by @hubel/viz's tileGrid and sideBySide.
 */
import { HubelError } from '@hubel/core';
import { sideBySide, tileGrid, type Image } from '@hubel/viz';
import { filterSpectra, type FilterSpectra } from './spectrum.js';

/** Options of {@link bankPictures}. */
export interface BankPictureOptions {
  /** Tiles per row in the bank and spectra grids (e.g. the number of orientations); default ⌈√count⌉. */
  readonly columns?: number;
  /** FFT size, a power of two ≥ the filter; default as {@link filterSpectra}. */
  readonly fftSize?: number;
  /** Approximate width in pixels of one tile of the bank and spectra grids; default 64. */
  readonly tileWidth?: number;
  /** Approximate width in pixels of the summed-spectrum picture; default 512. */
  readonly tilingWidth?: number;
  /** FFT size of the summed-spectrum picture (finer than the tiles' for smooth lobes); default max(256, fftSize). */
  readonly tilingFftSize?: number;
}

/** What {@link bankPictures} returns. */
export interface BankPictures {
  /** The filters, one gray tile each, contrast-normalized per tile (mid-gray is about 0 for zero-mean filters). */
  readonly bank: Image;
  /** Each filter's centred |F| in the same grid position, normalized per tile (black 0, white its peak). */
  readonly spectra: Image;
  /** `bank` and `spectra` side by side. */
  readonly sideBySide: Image;
  /**
   * The sum of all magnitude spectra, each scaled to peak 1 (see {@link FilterSpectra.sum}),
   * centred: zero frequency in the middle, ±0.5 cycles/px at the edges.
   */
  readonly tiling: Image;
  /** The spectra themselves. */
  readonly spectraData: FilterSpectra;
}

/**
 * The pictures of `count` h×w filters stored one after another in `filters` ([count, h, w],
 * row-major). Throws HubelError on too few values or a bad FFT size.
 */
export function bankPictures(filters: ArrayLike<number>, count: number, h: number, w: number, o: BankPictureOptions = {}): BankPictures {
  if (o.columns !== undefined && !(Number.isInteger(o.columns) && o.columns >= 1)) throw new HubelError('attribute', `bankPictures: columns must be a positive integer, found ${o.columns}`);
  const data = filterSpectra(filters, count, h, w, { fftSize: o.fftSize });
  const n = data.size;
  const tile = o.tileWidth ?? 64;
  const columns = o.columns ?? Math.ceil(Math.sqrt(count));
  const bank = tileGrid(filters, count, 1, h, w, { columns, scale: Math.max(1, Math.round(tile / w)) });
  const spectra = tileGrid(data.spectra, count, 1, n, n, { columns, scale: Math.max(1, Math.round(tile / n)) });
  const fine = filterSpectra(filters, count, h, w, { fftSize: o.tilingFftSize ?? Math.max(256, n) });
  const tiling = tileGrid(fine.sum, 1, 1, fine.size, fine.size, { scale: Math.max(1, Math.round((o.tilingWidth ?? 512) / fine.size)) });
  return { bank, spectra, sideBySide: sideBySide([bank, spectra], { gap: 16 }), tiling, spectraData: data };
}
