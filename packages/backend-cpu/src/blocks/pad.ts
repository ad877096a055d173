/**
 * Padding of an n-d array (ONNX Pad): out has shape[a] + begin[a] + end[a] along each axis a.
 * padSource maps each output element to the flat index of the input element it copies, or −1
 * for a constant fill; forward gathers through that map and backward scatters (adds) through
 * it, so reflect/edge gradients accumulate into the mirrored / border source elements.
 */
export type PadMode = 'constant' | 'reflect' | 'edge';

/** Source index along one axis of size n for padded coordinate i (already shifted by −begin), or −1. */
function sourceAlong(i: number, n: number, mode: PadMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  return i < 0 ? -i : 2 * (n - 1) - i; // reflect, mirror without repeating the border (needs pad ≤ n − 1)
}

/** For pads = [begin₀, …, begin(r−1), end₀, …, end(r−1)] (ONNX order), the source map over the padded output. */
export function padSource(shape: readonly number[], pads: readonly number[], mode: PadMode): Int32Array {
  const rank = shape.length;
  const outShape = shape.map((d, a) => d + pads[a] + pads[a + rank]);
  const total = outShape.reduce((p, d) => p * d, 1);
  const map = new Int32Array(total);
  // Per axis, the source coordinate of every output coordinate (−1 = constant).
  const along = outShape.map((d, a) => Int32Array.from({ length: d }, (_, i) => sourceAlong(i - pads[a], shape[a], mode)));
  const strides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a];
  }
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let a = 0; a < rank; a++) {
      const s = along[a][idx[a]];
      if (s < 0) {
        src = -1;
        break;
      }
      src += s * strides[a];
    }
    map[o] = src;
    for (let a = rank - 1; a >= 0 && ++idx[a] === outShape[a]; a--) idx[a] = 0;
  }
  return map;
}
