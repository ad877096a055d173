// ONNX's own node test cases (tests/conformance/onnx-cases, or ONNX_CONFORMANCE_DIR) through Hubel's importer
// and CPU backend: import model.onnx, feed input_N.pb, compare with output_N.pb using ONNX's
// tolerance (harness.ts; the WebGPU run is tests/parity/conformance-webgpu.test.ts). Prints a
// table and, as its last line, `conformance: N passed, N failed, N unsupported`.
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { Registry } from '@hubel/core';
import { existsSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import { casesDir, layerPlugins, missingCasesMessage, registerConformanceCases } from './harness.js';

describe(`ONNX conformance cases (${casesDir})`, () => {
  if (!existsSync(casesDir)) {
    it('finds the conformance cases', () => {
      throw new Error(missingCasesMessage());
    });
    return;
  }
  registerConformanceCases({ it, afterAll }, { label: 'conformance', registry: new Registry().use(cpuBackend, ...layerPlugins), backend: () => createCpuBackend() });
});
