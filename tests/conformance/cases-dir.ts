// Where ONNX's operator test cases are read from: the copy in this repository
// (tests/conformance/onnx-cases, Apache-2.0, provenance in its README), or the folder
// that ONNX_CONFORMANCE_DIR names (a `cases/` folder of the same layout, e.g. a wider set).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `cases/` folder: env ONNX_CONFORMANCE_DIR, else the repository's own copy. */
export const casesDir = process.env.ONNX_CONFORMANCE_DIR
  ? resolve(process.env.ONNX_CONFORMANCE_DIR)
  : resolve(dirname(fileURLToPath(import.meta.url)), 'onnx-cases/cases');

/** The error a suite throws when the folder is missing, naming where it looked. */
export const missingCasesMessage = (): string =>
  `ONNX conformance cases not found at ${casesDir} (the repository's copy is tests/conformance/onnx-cases/cases; ONNX_CONFORMANCE_DIR points elsewhere)`;
