import type { Backend } from '../backend.js';
import { layerLabel } from '../layer.js';
import type { Plugin } from '../plugin.js';
import { Registry } from '../registry.js';
import { assertGradients, checkLayerGradients, type GradCheckOptions } from './gradcheck.js';

/**
 * The test-runner function the suites register with (vitest's or jest's `it`/`test`).
 * @inline
 */
export type TestFn = (name: string, fn: () => Promise<void>, timeoutMs?: number) => void;

/**
 * Registers one finite-difference test per case of `plugin` (and of `with`, the plugins its
 * cases need, e.g. a backend's kernels): a third party checks its own layer with one call:
 * `gradcheckPlugin(myPlugin, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) })`.
 */
export function gradcheckPlugin(
  plugin: Plugin,
  o: { test: TestFn; backend: () => Backend | Promise<Backend>; with?: readonly Plugin[]; options?: GradCheckOptions; timeoutMs?: number },
): void {
  const registry = new Registry().use(plugin, ...(o.with ?? []));
  for (const c of plugin.cases ?? []) {
    const title = `${layerLabel(c.layer)} ${c.name}: ∂C/∂x and ∂C/∂w match finite differences`;
    const reason = c.skipSuites?.gradcheck;
    if (reason) {
      console.info(`[gradcheck] not checked: ${title} — ${reason}`);
      continue;
    }
    o.test(
      title,
      async () => {
        const report = await checkLayerGradients(c, await o.backend(), { registry, ...o.options });
        assertGradients(report);
      },
      o.timeoutMs ?? 60_000,
    );
  }
}
