// Canvas drawing for the page: gray pictures from the worker, line charts of the learning
// curves, and the 28×28 test images.
import type { GrayImage } from './protocol.js';

/** Draws an 8-bit gray picture onto a canvas, resizing the canvas to `scale` × the picture. */
export function drawGray(canvas: HTMLCanvasElement, image: GrayImage, scale = 1): void {
  const off = new OffscreenCanvas(image.width, image.height);
  const octx = off.getContext('2d')!;
  const rgba = new ImageData(image.width, image.height);
  for (let i = 0; i < image.data.length; i++) {
    const v = image.data[i];
    rgba.data[4 * i] = v;
    rgba.data[4 * i + 1] = v;
    rgba.data[4 * i + 2] = v;
    rgba.data[4 * i + 3] = 255;
  }
  octx.putImageData(rgba, 0, 0);
  canvas.width = image.width * scale;
  canvas.height = image.height * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** A 28×28 image with values in [0, 1] as a gray picture. */
export function pixelsToGray(pixels: ArrayLike<number>, width = 28, height = 28): GrayImage {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(pixels[i] * 255)));
  return { width, height, data };
}

/** One line of a chart: points (x, y), drawn in `color`, with markers when `dots`. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dots?: boolean;
}

/** A small line chart with a zero-based y axis, x from 0 to the last point, and a legend. */
export function lineChart(canvas: HTMLCanvasElement, series: readonly Series[], o: { yMax?: number; percent?: boolean } = {}): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = { left: 38, right: 8, top: 8, bottom: 20 };
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMax = o.yMax ?? Math.max(1e-6, ...all.map(([, y]) => y)) * 1.05;
  const px = (x: number) => pad.left + (x / xMax) * (width - pad.left - pad.right);
  const py = (y: number) => height - pad.bottom - (Math.min(y, yMax) / yMax) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = '#cbd5e0';
  ctx.fillStyle = '#718096';
  ctx.font = '10px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, py(y));
    ctx.lineTo(width - pad.right, py(y));
    ctx.stroke();
    ctx.fillText(o.percent ? `${Math.round(100 * y)}%` : y.toFixed(2), 2, py(y) + 3);
  }
  ctx.fillText('0', px(0) - 3, height - 5);
  ctx.fillText('training step', (width + pad.left) / 2 - 28, height - 5);
  const last = String(Math.round(xMax));
  ctx.fillText(last, px(xMax) - ctx.measureText(last).width, height - 5);
  let legendX = pad.left + 4;
  for (const s of series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    if (s.dots) for (const [x, y] of pts) ctx.fillRect(px(x) - 2, py(y) - 2, 4, 4);
    ctx.fillText(s.label, legendX, pad.top + 8);
    legendX += ctx.measureText(s.label).width + 12;
  }
}
