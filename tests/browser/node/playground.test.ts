// The playground end to end, in headless Chromium: build it with Vite and serve the static site
// (with the cross-origin isolation headers), train one epoch of the Fashion convnet on the CPU
// backend, read the accuracy the page shows, download model.onnx and score it with ONNX Runtime
// here in Node, drop the file back in and get the same predictions, feature maps, drawing, bad
// files, a few batches on WebGPU, and a backend switch mid-training that shuts the old worker
// down. Saves docs/playground.png, which the README shows.
import { createCpuBackend } from '@hubel/backend-cpu';
import { FASHION_MNIST_SAMPLE_DIR, loadFashionMnist } from '@hubel/data';
import { decodeModel, encodeModel, exportOnnx } from '@hubel/io';
import { fashionNet } from '@hubel/models';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type ConsoleMessage, type Page, type Worker } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH, IN_CI, chromiumMissing } from '../chromium.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const app = join(repo, 'apps/playground');
const SCREENSHOT = join(repo, 'docs/playground.png');

const missing = chromiumMissing();
if (missing && IN_CI) throw new Error(`CI=true and ${missing}: the playground's end-to-end test must run`);
if (missing) console.warn(`[playground] end-to-end test skipped: ${missing}`);

let server: PreviewServer;
let context: BrowserContext;
let page: Page;
let origin: string;
let profile: string;
let work: string;
const requests: string[] = [];
const consoleLines: string[] = [];
/** The page's training workers, and the CPU backend's GEMM workers they start (from Blob URLs). */
const workers: { url: string; closed: boolean }[] = [];
const gemmWorkers: { url: string; closed: boolean }[] = [];
/** GEMM threads the CPU backend runs in the training worker: the cores, at most 4. */
let threads = 0;

/** What the page showed after training, for the later steps. */
const trained = { correct: -1, total: -1, grid: [] as number[], onnx: new Uint8Array(0) };

/** The drop of one file on the page's drop zone, as a user's drag and drop delivers it. */
async function drop(bytes: Uint8Array, name: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ b64, name }) => {
      const bin = atob(b64);
      const u = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([u], name));
      return dt;
    },
    { b64: Buffer.from(bytes).toString('base64'), name },
  );
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
}

async function gridPredictions(): Promise<number[]> {
  return page.$$eval('#grid .cell', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.pred)));
}

async function accuracy(): Promise<{ correct: number; total: number; source: string }> {
  return page.$eval('#accuracy', (e) => ({ correct: Number((e as HTMLElement).dataset.correct), total: Number((e as HTMLElement).dataset.total), source: (e as HTMLElement).dataset.source ?? '' }));
}

/** ONNX Runtime's predictions (first maximum) for the sample's 1,000 test images. */
async function ortPredictions(bytes: Uint8Array): Promise<{ predictions: Int32Array; labels: Int32Array }> {
  const test = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test' });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const n = test.dataset.length;
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(test.dataset.x), [n, 1, 28, 28]) });
    const scores = out[session.outputNames[0]].data as Float32Array;
    const k = scores.length / n;
    const predictions = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (scores[i * k + j] > scores[i * k + best]) best = j;
      predictions[i] = best;
    }
    return { predictions, labels: Int32Array.from(test.dataset.y) };
  } finally {
    await session.release();
  }
}

describe.skipIf(missing !== undefined)('the playground in Chromium', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hubel-playground-'));
    // The static site, as `pnpm playground:build` writes it.
    await build({ configFile: join(app, 'vite.config.ts'), logLevel: 'error', build: { outDir: join(work, 'site') } });
    server = await preview({ configFile: join(app, 'vite.config.ts'), logLevel: 'error', build: { outDir: join(work, 'site') }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
    origin = new URL(server.resolvedUrls!.local[0]).origin;
    profile = join(work, 'profile');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1280, height: 960 },
      acceptDownloads: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => void requests.push(r.url()));
    page.on('console', (m: ConsoleMessage) => void consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => void consoleLines.push(`pageerror: ${e.message}`));
    page.on('worker', (w: Worker) => {
      const entry = { url: w.url(), closed: false };
      (entry.url.startsWith('blob:') ? gemmWorkers : workers).push(entry);
      w.on('close', () => (entry.closed = true));
    });
    await page.goto(`${origin}/`);
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('starts cross-origin isolated, with the CPU backend on WebAssembly kernels and WebGPU offered', async () => {
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'idle', null, { timeout: 120_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // The training worker may block, so the CPU backend runs its GEMM workers there: as many
    // threads as cores, at most 4 (2 on a 2-core machine).
    threads = Math.min(4, await page.evaluate(() => navigator.hardwareConcurrency));
    expect(await page.textContent('#backend-info')).toMatch(new RegExp(`^CPU \\(float32, WebAssembly (relaxed )?SIMD, ${threads} thread${threads === 1 ? '' : 's'}\\)$`));
    expect(await page.textContent('#train-message')).toBe('Fashion-MNIST convnet: 421,738 parameters; 3,600 training, 400 validation, 1,000 test images.');
    expect(await page.$$eval('#grid .cell', (c) => c.length)).toBe(100);
    const webgpuDisabled = await page.$eval('#webgpu-label input', (i) => (i as HTMLInputElement).disabled);
    if (webgpuDisabled && IN_CI) throw new Error(`CI=true and WebGPU is greyed out: ${await page.textContent('#webgpu-reason')}`);
    expect(workers.length).toBe(1);
    // The caller is one of the threads; the others are the workers it started.
    expect(gemmWorkers.filter((w) => !w.closed).length).toBe(threads - 1);
  });

  it('trains one epoch on the CPU: live curves, filters and images/s, then accuracy and a confusion matrix of 1,000 images', async () => {
    await page.fill('#epochs', '1');
    await page.fill('#batch', '32');
    await page.click('#start');
    // Pause part-way, then resume: the run continues where it stopped.
    await page.waitForFunction(() => Number(document.getElementById('progress')?.dataset.step ?? 0) >= 20, null, { timeout: 120_000 });
    expect(await page.textContent('#start')).toBe('Pause');
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'paused', null, { timeout: 60_000 });
    const pausedAt = Number(await page.$eval('#progress', (e) => (e as HTMLElement).dataset.step));
    expect(await page.textContent('#start')).toBe('Resume');
    expect(await page.$eval('#batch', (e) => (e as HTMLInputElement).disabled)).toBe(true);
    await page.click('#start');
    await page.waitForFunction((at) => Number(document.getElementById('progress')?.dataset.step ?? 0) > at, pausedAt, { timeout: 60_000 });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'done', null, { timeout: 300_000 });
    const a = await accuracy();
    expect(a.source).toBe('trained');
    expect(a.total).toBe(1000);
    // One epoch of the full convnet on 3,600 images: the demo reaches 83% after 3 epochs; after
    // one, anything above 60% says it learned (chance is 10%).
    expect(a.correct).toBeGreaterThan(600);
    expect(await page.textContent('#accuracy')).toBe(`Trained Fashion-MNIST convnet: ${(a.correct / 10).toFixed(1)}% accuracy (${a.correct} of 1,000 test images correct)`);
    const confusion = await page.$$eval('#confusion tr', (rows) => rows.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))));
    expect(confusion.length).toBe(10);
    expect(confusion.flat().reduce((s, v) => s + v, 0)).toBe(1000);
    expect(confusion.reduce((s, row, i) => s + row[i], 0)).toBe(a.correct);
    expect(await page.textContent('#progress')).toBe('epoch 1, batch 113/113 (step 113)');
    const speed = Number(await page.$eval('#speed', (e) => (e as HTMLElement).dataset.value));
    console.info(`[playground] CPU: ${speed.toFixed(1)} images/s over the epoch (batch 32, in the page's worker); test accuracy ${(a.correct / 10).toFixed(1)}%`);
    expect(speed).toBeGreaterThan(0);
    expect(await page.textContent('#train-message')).toMatch(/^epoch 1\/1: training loss [\d.]+, error [\d.]+%; validation loss [\d.]+, error [\d.]+%; [\d.]+ images\/s$/);
    // The filter picture: 32 filters of 3×3 in 8 columns of 24-pixel tiles with 2-pixel gaps.
    expect(await page.$eval('#filters', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([8 * 24 + 9 * 2, 4 * 24 + 5 * 2]);
    trained.correct = a.correct;
    trained.total = a.total;
    trained.grid = await gridPredictions();
    expect(trained.grid.every((p) => p >= 0 && p < 10)).toBe(true);
    const wrong = await page.$$eval('#grid .cell.wrong', (c) => c.length);
    const labels = await page.$$eval('#grid .cell', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.label)));
    expect(wrong).toBe(trained.grid.filter((p, i) => p !== labels[i]).length);
  });

  it('exports model.onnx, and ONNX Runtime gets the same test accuracy and predictions on the sample', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    expect(download.suggestedFilename()).toBe('model.onnx');
    const path = join(work, 'model.onnx');
    await download.saveAs(path);
    const bytes = new Uint8Array(readFileSync(path));
    trained.onnx = bytes;
    const { predictions, labels } = await ortPredictions(bytes);
    const correct = predictions.reduce((s, p, i) => s + (p === labels[i] ? 1 : 0), 0);
    console.info(`[playground] ONNX Runtime on the downloaded model.onnx: ${correct} of 1,000 correct; the page showed ${trained.correct}`);
    // Both engines compute in float32 with different summation orders; a prediction could only
    // change where two class scores tie to within float32 rounding (~1e-6), which a trained
    // network's 1,000 test images do not contain: the counts and predictions must be identical.
    expect(correct).toBe(trained.correct);
    expect(Array.from(predictions.subarray(0, 100))).toEqual(trained.grid);
  });

  it('shows the feature maps of a clicked test image at every layer', async () => {
    await page.click('#grid .cell[data-index="3"]');
    await page.waitForSelector('#maps figure.layer-maps');
    const captions = await page.$$eval('#maps figure.layer-maps figcaption', (f) => f.map((c) => c.textContent));
    expect(captions.map((c) => c!.split(' ')[0])).toEqual(['conv1', 'bn1', 'relu1', 'pool1', 'conv2', 'bn2', 'relu2', 'pool2', 'flatten', 'fc1', 'relu3', 'dropout', 'scores']);
    expect(captions[0]).toBe('conv1 (Conv) [32×28×28]');
    expect(captions[7]).toBe('pool2 (MaxPool) [64×7×7]');
    expect(captions[12]).toBe('scores (Gemm) [10]');
  });

  it('classifies a drawn image: ten class probabilities summing to 100%', async () => {
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + 30);
    await page.mouse.down();
    for (const [x, y] of [[150, 30], [150, 170], [40, 170], [40, 30]]) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
    await page.click('#classify');
    await page.waitForFunction(() => document.querySelectorAll('#probabilities li').length === 10);
    const percents = await page.$$eval('#probabilities li span:last-child', (s) => s.map((e) => parseFloat(e.textContent!)));
    // Ten values rounded to 0.1%: their sum is within 10 × 0.05% of 100%.
    expect(Math.abs(percents.reduce((a, b) => a + b, 0) - 100)).toBeLessThanOrEqual(0.5);
    expect(percents).toEqual([...percents].sort((a, b) => b - a));
  });

  it('saves the screenshot the README shows (docs/playground.png, under 300 kB)', async () => {
    // The first screen (1280×960): controls, curves, filters, accuracy, confusion matrix and the
    // top of the image grid; the whole page would be about 420 kB.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
    const size = statSync(SCREENSHOT).size;
    console.info(`[playground] screenshot ${SCREENSHOT}: ${(size / 1000).toFixed(0)} kB`);
    expect(size).toBeLessThan(300_000);
  });

  it('loads the downloaded model.onnx back through the drop zone: the same accuracy and the same predictions', async () => {
    await drop(trained.onnx, 'model.onnx');
    await page.waitForFunction(() => document.getElementById('accuracy')?.dataset.source === 'loaded', null, { timeout: 60_000 });
    const a = await accuracy();
    expect(a.correct).toBe(trained.correct);
    expect(await gridPredictions()).toEqual(trained.grid);
    expect(await page.textContent('#onnx-message')).toBe(`model.onnx: ${(trained.correct / 10).toFixed(1)}% accuracy on the test images.`);
  });

  it('bad files: not ONNX, an unsupported operator, a wrong input size — each a visible message, and the page keeps working', async () => {
    const expectError = async (pattern: RegExp) => {
      await page.waitForFunction(() => document.getElementById('onnx-message')?.classList.contains('error'), null, { timeout: 30_000 });
      expect(await page.textContent('#onnx-message')).toMatch(pattern);
    };
    await drop(new TextEncoder().encode('name,label\nshirt,6\n'), 'labels.csv');
    await expectError(/^labels\.csv: /);

    const proto = decodeModel(trained.onnx);
    const nodes = proto.graph.nodes.map((n) => (n.opType === 'Relu' ? { ...n, opType: 'Hardmax' } : n));
    await drop(encodeModel({ ...proto, graph: { ...proto.graph, nodes } }), 'hardmax.onnx');
    await expectError(/^hardmax\.onnx: unsupported ONNX operator\(s\): Hardmax/);

    const backend = createCpuBackend();
    const rgb = fashionNet({ inputShape: [3, 32, 32], channels: [4, 4], hidden: 8 }).build({ backend, seed: 1 });
    await drop(await exportOnnx(rgb), 'cifar.onnx');
    rgb.dispose();
    await expectError(/^cifar\.onnx takes input 'input' of shape \[N, 3, 32, 32\]; this page can feed \[N, 1, 28, 28\] or \[N, 784\]/);

    // Still working: the loaded model answers, and a good file loads again.
    await page.click('#classify');
    await page.waitForFunction(() => document.querySelectorAll('#probabilities li').length === 10);
    await drop(trained.onnx, 'again.onnx');
    await page.waitForFunction(() => document.getElementById('onnx-message')?.textContent?.startsWith('again.onnx: '), null, { timeout: 60_000 });
    expect((await accuracy()).correct).toBe(trained.correct);
    expect(consoleLines.filter((l) => l.startsWith('pageerror'))).toEqual([]);
  });

  it('WebGPU: a few batches of the Fashion convnet; switching back to the CPU mid-training shuts the worker down, freeing its tensors', async (ctx) => {
    if (await page.$eval('#webgpu-label input', (i) => (i as HTMLInputElement).disabled)) {
      const reason = await page.textContent('#webgpu-reason');
      if (IN_CI) throw new Error(`CI=true and no WebGPU in Chromium: ${reason}`);
      console.warn(`[playground] WebGPU part skipped: ${reason}`);
      ctx.skip();
    }
    const before = workers.length;
    await page.check('#webgpu-label input');
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'idle', null, { timeout: 120_000 });
    expect(workers.length).toBe(before + 1);
    await expect.poll(() => workers.slice(0, before).every((w) => w.closed), { timeout: 15_000 }).toBe(true);
    // The CPU worker's GEMM workers ended with it; the WebGPU worker starts none.
    await expect.poll(() => gemmWorkers.every((w) => w.closed), { timeout: 15_000 }).toBe(true);
    const info = (await page.textContent('#backend-info'))!;
    console.info(`[playground] WebGPU backend: ${info}`);
    expect(info.length).toBeGreaterThan(0);
    // SwiftShader (a software renderer) takes seconds per batch of this convnet: small batches.
    await page.fill('#batch', '8');
    await page.fill('#epochs', '1');
    await page.click('#start');
    await page.waitForFunction(() => Number(document.getElementById('progress')?.dataset.step ?? 0) >= 3, null, { timeout: 300_000 });
    const speed = Number(await page.$eval('#speed', (e) => (e as HTMLElement).dataset.value));
    const loss = Number(await page.textContent('#loss'));
    console.info(`[playground] WebGPU: ${speed.toFixed(2)} images/s over the first batches (batch 8), loss ${loss}`);
    expect(speed).toBeGreaterThan(0);
    expect(Number.isFinite(loss)).toBe(true);
    expect(await page.textContent('#state')).toBe('training');

    const gpuWorker = workers.at(-1)!;
    const shutdowns = consoleLines.length;
    await page.check('input[name=backend][value=cpu]');
    await expect.poll(() => gpuWorker.closed, { timeout: 30_000 }).toBe(true);
    const report = consoleLines.slice(shutdowns).find((l) => l.includes('playground: '));
    expect(report).toBe('info: playground: the worker stopped and freed its model: 0 tensors left on its backend; worker terminated');
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'idle', null, { timeout: 120_000 });
    expect(await page.textContent('#backend-info')).toMatch(/^CPU /);
    expect(workers.filter((w) => !w.closed).length).toBe(1);
    expect(gemmWorkers.filter((w) => !w.closed).length).toBe(threads - 1);
    expect(await page.textContent('#backend-info')).toMatch(threads > 1 ? /, \d threads\)$/ : /, 1 thread\)$/);
  });

  it('greys out WebGPU, with the reason, in a browser without an adapter (Chromium without --enable-unsafe-webgpu), and still trains on the CPU', async () => {
    const plain = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') });
    try {
      const p = await plain.newPage();
      await p.goto(`${origin}/`);
      await p.waitForFunction(() => document.getElementById('state')?.textContent === 'idle', null, { timeout: 120_000 });
      expect(await p.$eval('#webgpu-label input', (i) => (i as HTMLInputElement).disabled)).toBe(true);
      expect(await p.$eval('#webgpu-label', (l) => l.classList.contains('disabled'))).toBe(true);
      expect(await p.textContent('#webgpu-reason')).toMatch(/^WebGPU unavailable: no WebGPU adapter: requestAdapter\(\) returned null/);
      expect(await p.textContent('#backend-info')).toMatch(/^CPU /);
    } finally {
      await plain.close();
    }
  });

  it('fetched nothing from outside its own origin', () => {
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(requests.some((u) => u.endsWith('/fashion-mnist/train-images-idx3-ubyte.gz'))).toBe(true);
  });
});
