import { defineCases } from '@hubel/core';
import { LocalContrastNorm } from './definition.js';

// max(c, σ) has a kink where σ = c; the checker skips scalars whose one-sided slopes differ by
// more than 1e-3 (relative), which smooth points never reach at ε = 1e-6.
export const localContrastNormCases = defineCases(LocalContrastNorm, [
  { name: '5×5 window on 6×6 maps (borders everywhere), c = mean σ', attrs: { size: 5, sigma: 1.5 }, inputs: [[2, 3, 6, 6]], kink: 1e-3 },
  { name: '7×7 window on 9×8 maps, one channel', attrs: { size: 7, sigma: 2 }, inputs: [[1, 1, 9, 8]], kink: 1e-3 },
  { name: '3×3 window, fixed c = 0.95 (about half the positions on each branch of max)', attrs: { size: 3, sigma: 1, c: 0.95 }, inputs: [[2, 2, 5, 5]], kink: 1e-3 },
  { name: 'window wider than the map (9×9 on 4×3)', attrs: { size: 9, sigma: 3 }, inputs: [[2, 2, 4, 3]], kink: 1e-3 },
]);
