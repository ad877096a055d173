// The playground page: controls, live charts and results. Training, evaluation and ONNX all run
// in a Web Worker (worker.ts); switching backend or model shuts that worker down (it frees its
// tensors and GPU device first) and starts a new one.
import { fetchMnist, type ImageSet } from '@hubel/data/browser';
import { drawGray, lineChart, pixelsToGray, type Series } from './draw.js';
import type { BackendChoice, FromWorker, LayerMaps, ModelChoice, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = {
  model: $<HTMLSelectElement>('model'),
  webgpuLabel: $<HTMLLabelElement>('webgpu-label'),
  webgpuReason: $<HTMLDivElement>('webgpu-reason'),
  lr: $<HTMLInputElement>('lr'),
  batch: $<HTMLInputElement>('batch'),
  epochs: $<HTMLInputElement>('epochs'),
  start: $<HTMLButtonElement>('start'),
  reset: $<HTMLButtonElement>('reset'),
  backendInfo: $<HTMLElement>('backend-info'),
  state: $<HTMLElement>('state'),
  progress: $<HTMLElement>('progress'),
  speed: $<HTMLElement>('speed'),
  loss: $<HTMLElement>('loss'),
  trainMessage: $<HTMLElement>('train-message'),
  lossChart: $<HTMLCanvasElement>('loss-chart'),
  errorChart: $<HTMLCanvasElement>('error-chart'),
  filters: $<HTMLCanvasElement>('filters'),
  filtersCaption: $<HTMLElement>('filters-caption'),
  accuracy: $<HTMLElement>('accuracy'),
  confusion: $<HTMLTableElement>('confusion'),
  grid: $<HTMLDivElement>('grid'),
  maps: $<HTMLDivElement>('maps'),
  exportButton: $<HTMLButtonElement>('export'),
  dropZone: $<HTMLDivElement>('drop-zone'),
  onnxFile: $<HTMLInputElement>('onnx-file'),
  onnxMessage: $<HTMLElement>('onnx-message'),
  draw: $<HTMLCanvasElement>('draw'),
  classify: $<HTMLButtonElement>('classify'),
  clear: $<HTMLButtonElement>('clear'),
  imageFile: $<HTMLInputElement>('image-file'),
  invert: $<HTMLInputElement>('invert'),
  probabilities: $<HTMLOListElement>('probabilities'),
  drawMessage: $<HTMLElement>('draw-message'),
};

/** The sample's files, copied next to the page by the Vite config (same origin). */
const DATA_URL = new URL('fashion-mnist/', document.baseURI).href;
const GRID_SIZE = 100;
const SEED = 1;

let test: ImageSet | undefined;
let worker: Worker | undefined;
let workerState: 'starting' | 'idle' | 'training' | 'paused' | 'done' | 'closed' = 'starting';
let hasModel = false;
let runStarted = false;
let closing: Promise<void> = Promise.resolve();
let trainPoints: [number, number][] = [];
let trainErrPoints: [number, number][] = [];
let valPoints: [number, number][] = [];
let valErrPoints: [number, number][] = [];
let chartQueued = false;
let selected: number | undefined;
/** Workers whose modules have loaded (they posted 'alive'), so they can answer 'shutdown'. */
const alive = new WeakSet<Worker>();

function message(target: HTMLElement, text: string, kind: 'info' | 'error' = 'info'): void {
  target.textContent = text;
  target.classList.toggle('error', kind === 'error');
}

function backendChoice(): BackendChoice {
  return (document.querySelector('input[name=backend]:checked') as HTMLInputElement).value as BackendChoice;
}

function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker?.postMessage(m, transfer);
}

/** Whether this page can use WebGPU, and if not, why (shown beside the greyed-out choice). */
async function webgpuUnavailable(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return isSecureContext ? 'this browser has no WebGPU (navigator.gpu is missing)' : 'WebGPU needs a secure context (https or localhost)';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter: requestAdapter() returned null (GPU blocklisted or disabled; Chromium on Linux needs --enable-unsafe-webgpu)';
  } catch (e) {
    return `requestAdapter() failed: ${(e as Error).message}`;
  }
  return undefined;
}

/** Stops the current worker cleanly: it stops training, frees its tensors and device, then is terminated. */
function stopWorker(): Promise<void> {
  const old = worker;
  worker = undefined;
  if (!old) return closing;
  workerState = 'closed';
  if (!alive.has(old)) {
    // Still loading its modules: it holds nothing yet.
    old.terminate();
    return closing;
  }
  closing = new Promise<void>((resolve) => {
    const done = (report: string) => {
      clearTimeout(timer);
      old.terminate();
      console.info(`playground: ${report}; worker terminated`);
      resolve();
    };
    // A batch on a software WebGPU renderer can take seconds; do not wait forever.
    const timer = setTimeout(() => done('the worker did not confirm its shutdown within 10 s'), 10_000);
    old.onmessage = (e: MessageEvent<FromWorker>) => {
      if (e.data.type === 'closed') done(`the worker stopped and freed its model: ${e.data.liveTensors} tensors left on its backend`);
    };
    old.postMessage({ type: 'shutdown' } satisfies ToWorker);
  });
  return closing;
}

async function startWorker(): Promise<void> {
  await stopWorker();
  hasModel = false;
  runStarted = false;
  trainPoints = [];
  trainErrPoints = [];
  valPoints = [];
  valErrPoints = [];
  queueCharts();
  el.progress.textContent = '–';
  el.speed.textContent = '–';
  delete el.progress.dataset.step;
  delete el.speed.dataset.value;
  el.loss.textContent = '–';
  el.backendInfo.textContent = 'starting…';
  message(el.trainMessage, '');
  setState('starting');
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `hubel-${backendChoice()}` });
  worker = w;
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    if (e.data.type === 'alive') alive.add(w);
    if (worker === w) onWorkerMessage(e.data);
  };
  w.onerror = (e) => {
    if (worker !== w) return;
    message(el.trainMessage, `worker failed: ${e.message || 'it could not start'}`, 'error');
    setState('paused');
  };
}

function setState(s: typeof workerState): void {
  workerState = s;
  el.state.textContent = s;
  el.start.disabled = s === 'starting' || s === 'closed';
  el.start.textContent = s === 'training' ? 'Pause' : s === 'paused' ? 'Resume' : s === 'done' ? 'Train more' : 'Start';
  el.reset.disabled = s === 'starting' || s === 'closed';
  el.batch.disabled = runStarted;
  el.batch.title = runStarted ? 'the batch size applies to a new run: press Reset' : '';
  el.exportButton.disabled = !hasModel || s === 'starting' || s === 'closed';
  el.classify.disabled = !hasModel || s === 'starting' || s === 'closed';
}

function onWorkerMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      hasModel = true;
      el.backendInfo.textContent = `${m.backend}${m.software ? ' — a software renderer: its speed says nothing about a GPU' : ''}`;
      message(el.trainMessage, `${m.model}: ${m.params.toLocaleString('en-US')} parameters; ${m.train.toLocaleString('en-US')} training, ${m.validation} validation, ${m.test.toLocaleString('en-US')} test images.`);
      el.filtersCaption.textContent = el.model.value === 'mlp' ? 'First-layer weights (first 32 units, 28×28)' : 'First-layer filters';
      break;
    case 'state':
      setState(m.state);
      break;
    case 'batch':
      el.progress.textContent = `epoch ${m.epoch + 1}, batch ${m.batch + 1}/${m.batches} (step ${m.step})`;
      el.progress.dataset.step = String(m.step);
      el.speed.textContent = m.imagesPerSecond.toFixed(1);
      el.speed.dataset.value = String(m.imagesPerSecond);
      el.loss.textContent = m.loss.toFixed(4);
      trainPoints.push([m.step, m.loss]);
      trainErrPoints.push([m.step, m.error]);
      queueCharts();
      break;
    case 'epoch':
      valPoints.push([m.step, m.valLoss]);
      valErrPoints.push([m.step, m.valError]);
      message(el.trainMessage, `epoch ${m.epoch + 1}/${m.epochs}: training loss ${m.trainLoss.toFixed(3)}, error ${pct(m.trainError)}; validation loss ${m.valLoss.toFixed(3)}, error ${pct(m.valError)}; ${m.imagesPerSecond.toFixed(1)} images/s`);
      queueCharts();
      break;
    case 'filters':
      drawGray(el.filters, m.image, Math.max(1, Math.floor(260 / Math.max(m.image.width, m.image.height))));
      break;
    case 'evaluation':
      showEvaluation(m);
      break;
    case 'maps':
      showMaps(m.index, m.layers);
      break;
    case 'classified':
      showProbabilities(m.probabilities);
      break;
    case 'onnx':
      download(m.bytes);
      break;
    case 'loaded':
      hasModel = true;
      setState(workerState);
      message(el.onnxMessage, `Loaded ${m.name}: input ${m.input}, ops ${m.ops.join(', ')}. Classifying the test images…`);
      break;
    case 'error':
      message(m.where === 'load' ? el.onnxMessage : m.where === 'classify' ? el.drawMessage : el.trainMessage, m.message, 'error');
      if (m.where === 'init') setState('paused');
      break;
    case 'alive':
      send({ type: 'init', backend: backendChoice(), model: el.model.value as ModelChoice, dataUrl: DATA_URL, seed: SEED });
      break;
    case 'closed':
      break;
  }
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–';
}

/** Moving average of the last k points (the per-batch loss is noisy). */
function smooth(points: readonly [number, number][], k = 10): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  points.forEach(([x, y], i) => {
    sum += y;
    if (i >= k) sum -= points[i - k][1];
    out.push([x, sum / Math.min(i + 1, k)]);
  });
  return out;
}

function queueCharts(): void {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    const loss: Series[] = [
      { label: 'training', color: '#2b6cb0', points: smooth(trainPoints) },
      { label: 'validation', color: '#dd6b20', points: valPoints, dots: true },
    ];
    const error: Series[] = [
      { label: 'training', color: '#2b6cb0', points: smooth(trainErrPoints) },
      { label: 'validation', color: '#dd6b20', points: valErrPoints, dots: true },
    ];
    lineChart(el.lossChart, loss);
    lineChart(el.errorChart, error, { yMax: 1, percent: true });
  });
}

function showEvaluation(m: Extract<FromWorker, { type: 'evaluation' }>): void {
  const names = test!.classNames;
  el.accuracy.textContent = `${m.source === 'trained' ? 'Trained' : 'Loaded'} ${m.name}: ${pct(m.correct / m.total)} accuracy (${m.correct} of ${m.total.toLocaleString('en-US')} test images correct)`;
  el.accuracy.dataset.correct = String(m.correct);
  el.accuracy.dataset.total = String(m.total);
  el.accuracy.dataset.source = m.source;
  if (m.source === 'loaded') message(el.onnxMessage, `${m.name}: ${pct(m.correct / m.total)} accuracy on the test images.`);
  // Confusion matrix: rows true class, columns predicted; the diagonal is shaded by recall.
  const head = `<tr><th></th>${names.map((_, j) => `<th title="${names[j]}">${j}</th>`).join('')}</tr>`;
  const rows = m.confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((v, j) => {
      const a = v / total;
      const color = i === j ? `rgba(43, 108, 176, ${a.toFixed(2)})` : `rgba(197, 48, 48, ${Math.min(1, 3 * a).toFixed(2)})`;
      return `<td style="background:${color};color:${a > 0.5 ? '#fff' : '#1d2330'}">${v}</td>`;
    });
    return `<tr><th class="row">${i} ${names[i]}</th>${cells.join('')}</tr>`;
  });
  el.confusion.innerHTML = head + rows.join('');
  el.grid.querySelectorAll<HTMLElement>('.cell').forEach((cell, i) => {
    const p = m.predictions[i];
    const wrong = p !== test!.dataset.y[i];
    cell.dataset.pred = String(p);
    cell.classList.toggle('wrong', wrong);
    cell.querySelector('span')!.textContent = names[p];
    cell.title = `#${i}: predicted ${names[p]}, true ${names[test!.dataset.y[i]]}`;
  });
}

function buildGrid(): void {
  const set = test!;
  el.grid.innerHTML = '';
  for (let i = 0; i < GRID_SIZE; i++) {
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.dataset.index = String(i);
    cell.dataset.label = String(set.dataset.y[i]);
    const canvas = document.createElement('canvas');
    drawGray(canvas, pixelsToGray(set.dataset.x.subarray(i * 784, (i + 1) * 784)));
    const label = document.createElement('span');
    label.textContent = set.classNames[set.dataset.y[i]];
    cell.append(canvas, label);
    cell.title = `#${i}: ${set.classNames[set.dataset.y[i]]}`;
    cell.addEventListener('click', () => {
      if (!hasModel) return;
      selected = i;
      el.grid.querySelectorAll('.cell.selected').forEach((c) => c.classList.remove('selected'));
      cell.classList.add('selected');
      send({ type: 'featureMaps', index: i });
    });
    el.grid.append(cell);
  }
}

function showMaps(index: number, layers: readonly LayerMaps[]): void {
  if (index !== selected) return;
  el.maps.innerHTML = '';
  const names = test!.classNames;
  const input = document.createElement('figure');
  const c0 = document.createElement('canvas');
  drawGray(c0, pixelsToGray(test!.dataset.x.subarray(index * 784, (index + 1) * 784)), 3);
  input.append(c0, caption(`test image #${index} (${names[test!.dataset.y[index]]})`));
  el.maps.append(input);
  for (const l of layers) {
    const fig = document.createElement('figure');
    fig.className = 'layer-maps';
    const canvas = document.createElement('canvas');
    drawGray(canvas, l.image);
    fig.append(canvas, caption(`${l.name} (${l.op}) [${l.shape.slice(1).join('×')}]`));
    el.maps.append(fig);
  }
}

function caption(text: string): HTMLElement {
  const c = document.createElement('figcaption');
  c.textContent = text;
  return c;
}

function download(bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'model.onnx';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  message(el.onnxMessage, `Exported model.onnx (${(bytes.length / 1024).toFixed(0)} KiB).`);
}

async function loadOnnx(file: File): Promise<void> {
  if (!worker) return;
  // Size and magic checks happen in the importer, which names the file in its errors; only an
  // absurd size is refused here, before the bytes are read.
  if (file.size > 512 * 2 ** 20) {
    message(el.onnxMessage, `${file.name}: ${(file.size / 2 ** 20).toFixed(0)} MiB is too large for this page (limit 512 MiB)`, 'error');
    return;
  }
  message(el.onnxMessage, `Reading ${file.name}…`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  send({ type: 'load', name: file.name, bytes }, [bytes.buffer]);
}

// Drawing: white strokes on black, as Fashion-MNIST's images are light objects on dark.
function setUpDrawing(): void {
  const ctx = el.draw.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, el.draw.width, el.draw.height);
    el.probabilities.innerHTML = '';
  };
  clear();
  let drawing = false;
  const at = (e: PointerEvent) => {
    const r = el.draw.getBoundingClientRect();
    return [((e.clientX - r.left) * el.draw.width) / r.width, ((e.clientY - r.top) * el.draw.height) / r.height] as const;
  };
  el.draw.addEventListener('pointerdown', (e) => {
    drawing = true;
    el.draw.setPointerCapture(e.pointerId);
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
  });
  el.draw.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = at(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 16;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  el.draw.addEventListener('pointerup', () => (drawing = false));
  el.clear.addEventListener('click', clear);
  el.imageFile.addEventListener('change', async () => {
    const file = el.imageFile.files?.[0];
    el.imageFile.value = '';
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      clear();
      const s = Math.min(el.draw.width / bitmap.width, el.draw.height / bitmap.height);
      const w = bitmap.width * s;
      const h = bitmap.height * s;
      ctx.drawImage(bitmap, (el.draw.width - w) / 2, (el.draw.height - h) / 2, w, h);
      bitmap.close();
      message(el.drawMessage, `${file.name}: ${bitmap.width}×${bitmap.height}, shrunk to 28×28 gray when classified.`);
    } catch {
      message(el.drawMessage, `${file.name}: not an image this browser can decode (PNG or JPEG expected)`, 'error');
    }
  });
  el.classify.addEventListener('click', () => {
    // Area-average down to 28×28, then gray levels in [0, 1] as the dataset's pixels.
    const small = new OffscreenCanvas(28, 28);
    const sctx = small.getContext('2d')!;
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = 'high';
    sctx.drawImage(el.draw, 0, 0, 28, 28);
    const rgba = sctx.getImageData(0, 0, 28, 28).data;
    const pixels = new Float32Array(784);
    for (let i = 0; i < 784; i++) {
      const v = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
      pixels[i] = el.invert.checked ? 1 - v : v;
    }
    message(el.drawMessage, '');
    send({ type: 'classify', pixels }, [pixels.buffer]);
  });
}

function showProbabilities(p: readonly number[]): void {
  const names = test!.classNames;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  el.probabilities.innerHTML = '';
  order.forEach(([v, i], rank) => {
    const li = document.createElement('li');
    li.className = rank === 0 ? 'top' : '';
    li.dataset.class = String(i);
    li.innerHTML = `<span>${names[i]}</span><span class="bar" style="width:${(100 * v).toFixed(1)}%"></span><span>${(100 * v).toFixed(1)}%</span>`;
    el.probabilities.append(li);
  });
}

function setUpControls(): void {
  el.start.addEventListener('click', () => {
    if (workerState === 'training') {
      send({ type: 'pause' });
      el.start.disabled = true;
      return;
    }
    const epochs = Number(el.epochs.value);
    const batchSize = Number(el.batch.value);
    const lr = Number(el.lr.value);
    if (!(Number.isInteger(epochs) && epochs >= 1)) return message(el.trainMessage, `epochs must be a positive integer, found '${el.epochs.value}'`, 'error');
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 1024)) return message(el.trainMessage, `batch size must be an integer from 1 to 1024, found '${el.batch.value}'`, 'error');
    if (!(lr > 0 && lr <= 1)) return message(el.trainMessage, `learning rate must be in (0, 1], found '${el.lr.value}'`, 'error');
    message(el.trainMessage, '');
    runStarted = true;
    send({ type: 'train', epochs, batchSize, lr });
  });
  el.reset.addEventListener('click', () => void startWorker());
  el.lr.addEventListener('change', () => {
    const lr = Number(el.lr.value);
    if (lr > 0 && lr <= 1) send({ type: 'setLr', lr });
    else message(el.trainMessage, `learning rate must be in (0, 1], found '${el.lr.value}'`, 'error');
  });
  el.model.addEventListener('change', () => void startWorker());
  document.querySelectorAll<HTMLInputElement>('input[name=backend]').forEach((r) => r.addEventListener('change', () => void startWorker()));
  el.exportButton.addEventListener('click', () => send({ type: 'export' }));
  el.onnxFile.addEventListener('change', () => {
    const file = el.onnxFile.files?.[0];
    el.onnxFile.value = '';
    if (file) void loadOnnx(file);
  });
  el.dropZone.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.dropZone.classList.add('over');
  });
  el.dropZone.addEventListener('dragleave', () => el.dropZone.classList.remove('over'));
  el.dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    el.dropZone.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length !== 1) return message(el.onnxMessage, `drop one .onnx file (found ${files.length} files)`, 'error');
    void loadOnnx(files[0]);
  });
}

async function main(): Promise<void> {
  setUpControls();
  setUpDrawing();
  window.addEventListener('unhandledrejection', (e) => message(el.trainMessage, `unexpected error: ${(e.reason as Error)?.message ?? e.reason}`, 'error'));
  const [reason, set] = await Promise.all([webgpuUnavailable(), fetchMnist(DATA_URL, { split: 'test' })]);
  test = set;
  buildGrid();
  if (reason) {
    const radio = el.webgpuLabel.querySelector('input')!;
    radio.disabled = true;
    el.webgpuLabel.classList.add('disabled');
    el.webgpuReason.hidden = false;
    el.webgpuReason.textContent = `WebGPU unavailable: ${reason}`;
  }
  await startWorker();
}

main().catch((e: unknown) => message(el.trainMessage, `the page could not start: ${(e as Error).message}`, 'error'));
