// im2col / col2im for 1-D and 2-D convolutions (stride, padding, dilation):
//   cols[n, (c·kh + ky)·kw + kx, oy·ow + ox] = x[n, c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw] (0 outside),
// so a convolution is one GEMM per image: y[n] = W·cols[n]. col2im is its adjoint, written as
// a gather (one invocation per x element summing the cols entries that read it) rather than a
// scatter, so it needs no atomics and sums in a fixed order.
import { HubelError, fmtShape, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { LINEAR_INDEX, grid, read, write, type Program } from '../program.js';
import { GATHER_YX, WINDOW_UNIFORMS, outExtent, reachingWindowsWgsl, window2d, windowUniforms, type WindowGeometry } from './geometry.js';

const IM2COL: Program = {
  name: 'im2col',
  key: 'im2col',
  uniforms: [['total', 'u32'], ['c', 'u32'], ['h', 'u32'], ['w', 'u32'], ['oh', 'u32'], ['ow', 'u32'], ...WINDOW_UNIFORMS],
  storage: [read('src'), write('cols')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let l = u.oh * u.ow;
  let q = i % l;
  let row = (i / l) % (u.c * u.kh * u.kw);
  let n = i / (l * u.c * u.kh * u.kw);
  let kx = row % u.kw;
  let ky = (row / u.kw) % u.kh;
  let c = row / (u.kw * u.kh);
  let iy = i32((q / u.ow) * u.sh + ky * u.dh) - i32(u.pt);
  let ix = i32((q % u.ow) * u.sw + kx * u.dw) - i32(u.pl);
  var v = 0.0;
  if (iy >= 0 && iy < i32(u.h) && ix >= 0 && ix < i32(u.w)) {
    v = src[((n * u.c + c) * u.h + u32(iy)) * u.w + u32(ix)];
  }
  cols[i] = v;
}
`,
};

const COL2IM: Program = {
  name: 'col2im',
  key: 'col2im',
  uniforms: [['total', 'u32'], ['c', 'u32'], ['h', 'u32'], ['w', 'u32'], ['oh', 'u32'], ['ow', 'u32'], ...WINDOW_UNIFORMS],
  storage: [read('cols'), write('dst')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let xx = i % u.w;
  let yy = (i / u.w) % u.h;
  let c = (i / (u.w * u.h)) % u.c;
  let n = i / (u.w * u.h * u.c);
  let l = u.oh * u.ow;
  let rows = u.c * u.kh * u.kw;
  var acc = 0.0;
  ${reachingWindowsWgsl(GATHER_YX, 'acc += cols[(n * rows + (c * u.kh + ky) * u.kw + kx) * l + oy * u.ow + ox];')}
  dst[i] = acc;
}
`,
};

/** x as [N, C, H, W] (2-D windows) or [N, C, W] (1-D), with the output extents of the window. */
function spatial(xShape: readonly number[], g: WindowGeometry, what: string) {
  const w = window2d(g, what);
  const r = g.kernelShape.length;
  if (xShape.length !== r + 2) throw new HubelError('shape', `${what}: a ${r}-D window needs a rank-${r + 2} input, found ${fmtShape(xShape)}`);
  const [n, c] = xShape;
  const h = r === 2 ? xShape[2] : 1;
  const wd = xShape[r + 1];
  const oh = outExtent(h, w.kh, w.sh, w.pt, w.pb, w.dh);
  const ow = outExtent(wd, w.kw, w.sw, w.pl, w.pr, w.dw);
  if (oh < 1 || ow < 1) throw new HubelError('shape', `${what}: the window does not fit input ${fmtShape(xShape)}`);
  return { w, n, c, h, wd, oh, ow };
}

/** cols [N, C·∏kernel, ∏out] of x [N, C, (H,) W]; a fresh tensor. */
export function im2col(be: WebGpuBackend, x: Tensor, g: WindowGeometry): Tensor {
  const s = spatial(x.shape, g, 'im2col');
  const rows = s.c * s.w.kh * s.w.kw;
  const cols = be.alloc([s.n, rows, s.oh * s.ow]);
  be.run(IM2COL, [x, cols], [cols.size, s.c, s.h, s.wd, s.oh, s.ow, ...windowUniforms(s.w)], grid(cols.size));
  return cols;
}

/** The adjoint of im2col: dx of shape `xShape` from dcols [N, C·∏kernel, ∏out]; a fresh tensor. */
export function col2im(be: WebGpuBackend, cols: Tensor, xShape: readonly number[], g: WindowGeometry): Tensor {
  const s = spatial(xShape, g, 'col2im');
  const want = s.n * s.c * s.w.kh * s.w.kw * s.oh * s.ow;
  if (cols.size !== want) throw new HubelError('shape', `col2im: cols ${fmtShape(cols.shape)} has ${cols.size} values, ${want} expected for x ${fmtShape(xShape)}`);
  const x = be.alloc(xShape);
  be.run(COL2IM, [cols, x], [x.size, s.c, s.h, s.wd, s.oh, s.ow, ...windowUniforms(s.w)], grid(x.size));
  return x;
}

/** Output spatial extents [oh, ow] (oh = 1 for 1-D) of a window over x. */
export function windowOutput(xShape: readonly number[], g: WindowGeometry): [number, number] {
  const s = spatial(xShape, g, 'window');
  return [s.oh, s.ow];
}
