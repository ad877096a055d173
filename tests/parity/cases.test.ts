// CPU float32 vs WebGPU on every case of every registered layer plugin: outputs and all
// gradients, within the tolerance derived in `parityTolerance` (@hubel/backend-webgpu/testing).
import { createCpuBackend } from '@hubel/backend-cpu';
import { gpuBackendOrSkip, parityPlugin } from '@hubel/backend-webgpu/testing';
import { Registry, layerLabel } from '@hubel/core';
import { describe, expect, it } from 'vitest';
import { layerPlugins } from './plugins.js';

const gpu = await gpuBackendOrSkip();
const cpu = createCpuBackend();
const registry = new Registry().use(...layerPlugins);

/**
 * Layers that have no WebGPU kernel yet (open in issue 6). Their cases are not run here, and
 * the coverage test below fails when this list and the registry disagree, so a new layer
 * without a WebGPU kernel, or a new kernel, forces the list to be updated.
 */
const NO_WEBGPU_KERNEL_YET: string[] = [];

describe('parity suite coverage', () => {
  it('finds the layer plugins and their cases', () => {
    expect(layerPlugins.map((p) => p.name)).toContain('@hubel/layers-dense');
    expect(layerPlugins.reduce((s, p) => s + (p.cases?.length ?? 0), 0)).toBeGreaterThan(10);
  });
  it('every layer has a WebGPU kernel except the ones listed as not covered yet', () => {
    const uncovered = registry.layers.filter((l) => !registry.hasKernel(l, 'webgpu')).map(layerLabel);
    expect(uncovered.sort()).toEqual(NO_WEBGPU_KERNEL_YET);
    if (NO_WEBGPU_KERNEL_YET.length) console.info(`[parity] no WebGPU kernels yet: ${NO_WEBGPU_KERNEL_YET.join(', ')}`);
  });
});

for (const plugin of layerPlugins) {
  const cases = (plugin.cases ?? []).filter((c) => {
    if (registry.hasKernel(c.layer, 'webgpu')) return true;
    console.info(`[parity] not checked: ${layerLabel(c.layer)} '${c.name}' — no WebGPU kernel yet (issue 6)`);
    return false;
  });
  if (!cases.length) continue;
  gpu.describe(describe, `${plugin.name}: CPU float32 vs WebGPU`, (backend) => {
    parityPlugin(plugin, { test: it, backend: () => backend, reference: () => cpu, with: layerPlugins, cases });
  });
}
