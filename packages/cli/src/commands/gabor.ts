import { join, resolve } from 'node:path';
import { HubelError } from '@hubel/core';
import { writeFileAtomic } from '@hubel/io';
import { bankPictures, spectrumPeak } from '@hubel/lab';
import { gaborBank } from '@hubel/layers-conv';
import { encodePng } from '@hubel/viz';
import { UsageError, parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';

/** The flags of `hubel gabor`. */
export const gaborFlags: FlagSpecs = {
  orientations: { kind: 'int', meta: 'N', help: 'orientations k·180°/N', default: '8' },
  scales: { kind: 'int', meta: 'S', help: 'scales: wavelengths geometric from 3 px to max(4, size/2.5) px', default: '4' },
  wavelengths: { kind: 'string', meta: 'L1,L2,…', help: 'wavelengths in pixels instead of --scales' },
  size: { kind: 'int', meta: 'K', help: 'kernel size K×K', default: '31' },
  phases: { kind: 'string', meta: 'DEG,…', help: 'phases in degrees (0: even, 90: odd)', default: '0' },
  gamma: { kind: 'number', meta: 'G', help: 'aspect ratio γ (the envelope is σ/γ along the stripes)', default: '0.5' },
  bandwidth: { kind: 'number', meta: 'B', help: 'frequency bandwidth in octaves, which sets σ ≈ 0.56·λ for 1', default: '1' },
  'fft-size': { kind: 'int', meta: 'N', help: 'FFT size, a power of two ≥ K (zero-padding)', default: 'the power of two ≥ 2K' },
  out: { kind: 'string', meta: 'DIR', help: 'output directory', default: 'out' },
};

/** `--phases 0,90` (degrees) or `--wavelengths 3,6` as numbers; throws naming the flag. */
function numberList(text: string, flag: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  values.forEach((v, i) => {
    if (parts[i] === '' || !Number.isFinite(v)) throw new HubelError('attribute', `hubel gabor: --${flag} must be a comma-separated list of numbers, found '${text}'`);
  });
  return values;
}

/**
 * `hubel gabor`: a Gabor bank (@hubel/layers-conv's gaborBank) drawn with its Fourier
 * magnitudes (@hubel/lab's bankPictures): DIR/gabor-bank.png (one row per scale and phase, one
 * column per orientation), gabor-spectra.png (the same layout), gabor-bank-spectra.png (the two
 * side by side), gabor-tiling.png (all magnitudes summed) and gabor-bank.json (each filter's
 * parameters and spectral peak).
 */
export async function gabor(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, gaborFlags, 'gabor');
  if (positionals.length) throw new UsageError(`hubel gabor: unexpected argument '${positionals[0]}' (use --out DIR)`);
  const size = (flags.size as number | undefined) ?? 31;
  const orientations = (flags.orientations as number | undefined) ?? 8;
  if (!(size >= 3)) throw new HubelError('attribute', `hubel gabor: --size must be at least 3, found ${size}`);
  if (!(orientations >= 1)) throw new HubelError('attribute', `hubel gabor: --orientations must be at least 1, found ${orientations}`);
  const phasesDeg = numberList((flags.phases as string | undefined) ?? '0', 'phases');
  const wavelengths = flags.wavelengths === undefined ? undefined : numberList(flags.wavelengths as string, 'wavelengths');
  const out = resolve((flags.out as string | undefined) ?? 'out');
  ensureWritableDir(out);

  const bank = gaborBank({
    size,
    orientations,
    scales: (flags.scales as number | undefined) ?? 4,
    wavelengths,
    phases: phasesDeg.map((d) => (d * Math.PI) / 180),
    gamma: (flags.gamma as number | undefined) ?? 0.5,
    bandwidth: (flags.bandwidth as number | undefined) ?? 1,
  });
  const pics = bankPictures(bank.filters, bank.count, size, size, { columns: orientations, fftSize: flags['fft-size'] as number | undefined });
  const n = pics.spectraData.size;
  const filters = bank.params.map((p, k) => {
    const peak = spectrumPeak(pics.spectraData.spectra.subarray(k * n * n, (k + 1) * n * n), n);
    return {
      index: k,
      thetaDegrees: (p.theta * 180) / Math.PI,
      wavelength: p.wavelength,
      sigma: p.sigma,
      gamma: p.gamma,
      phaseDegrees: (p.phase * 180) / Math.PI,
      // Cycles per pixel, y down; the mirrored peak (−fx, −fy) is as large.
      spectralPeak: { fx: peak.fx, fy: peak.fy },
    };
  });
  const files: [string, Uint8Array | string][] = [
    ['gabor-bank.png', encodePng(pics.bank)],
    ['gabor-spectra.png', encodePng(pics.spectra)],
    ['gabor-bank-spectra.png', encodePng(pics.sideBySide)],
    ['gabor-tiling.png', encodePng(pics.tiling)],
    ['gabor-bank.json', `${JSON.stringify({ size, count: bank.count, fftSize: n, orientationsDegrees: bank.orientations.map((t) => (t * 180) / Math.PI), wavelengths: bank.wavelengths, phasesDegrees: phasesDeg, filters }, null, 2)}\n`],
  ];
  for (const [name, data] of files) await writeFileAtomic(join(out, name), typeof data === 'string' ? new TextEncoder().encode(data) : data);
  ctx.stdout(
    `gabor bank: ${bank.count} filters of ${size}×${size} (${orientations} orientations × ${bank.wavelengths.length} wavelengths ${bank.wavelengths.map((l) => l.toFixed(2)).join(', ')} px × ${bank.phases.length} phase${bank.phases.length > 1 ? 's' : ''}), each zero-mean and unit-norm; spectra by a ${n}×${n} FFT\n` +
      `wrote ${files.map(([f]) => join(out, f)).join(', ')}\n`,
  );
  return 0;
}
