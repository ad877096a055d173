// ONNX's own node test cases on the WebGPU backend: the CPU conformance suite's harness
// (tests/conformance/harness.ts: same cases, same scope rules, same ONNX tolerance
// |a − e| ≤ 1e-7 + 1e-3·|e|) with every imported model placed on the shared WebGPU backend.
// It lives in the webgpu project (tests/parity) so it runs with the other WebGPU suites, and
// prints its own table and, as its last line, `conformance (webgpu): N passed, N failed, N unsupported`.
import { webgpuBackend } from '@hubel/backend-webgpu';
import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Registry } from '@hubel/core';
import { existsSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import { casesDir, layerPlugins, missingCasesMessage, registerConformanceCases } from '../conformance/harness.js';

const gpu = await gpuBackendOrSkip();

gpu.describe(describe, `ONNX conformance cases on WebGPU (${casesDir})`, (backend) => {
  if (!existsSync(casesDir)) {
    it('finds the conformance cases', () => {
      throw new Error(missingCasesMessage());
    });
    return;
  }
  registerConformanceCases({ it, afterAll }, { label: 'conformance (webgpu)', registry: new Registry().use(webgpuBackend, ...layerPlugins), backend: () => backend });
});
