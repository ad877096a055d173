// The hand-written schema against ONNX's own files: decoding and re-encoding every model and
// tensor of the conformance set through it must reproduce the bytes exactly, which checks
// field numbers, types and packed/unpacked encodings (a wrong one changes the bytes).
import { decodeModel, onnxType } from '@hubel/io';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { casesDir, missingCasesMessage } from '../conformance/cases-dir.js';


describe('ONNX schema', () => {
  it(`re-encodes ONNX's own model and tensor files byte for byte (${casesDir})`, () => {
    if (!existsSync(casesDir)) throw new Error(missingCasesMessage());
    const Model = onnxType('ModelProto'), Tensor = onnxType('TensorProto');
    let files = 0;
    for (const c of readdirSync(casesDir)) {
      const model = readFileSync(join(casesDir, c, 'model.onnx'));
      expect(Buffer.from(Model.encode(Model.decode(model)).finish()).equals(model), `${c}/model.onnx`).toBe(true);
      files++;
      const data = join(casesDir, c, 'test_data_set_0');
      for (const f of readdirSync(data)) {
        if (c === 'test_identity_opt') continue; // OptionalProto, not TensorProto
        const bytes = readFileSync(join(data, f));
        expect(Buffer.from(Tensor.encode(Tensor.decode(bytes)).finish()).equals(bytes), `${c}/${f}`).toBe(true);
        files++;
      }
    }
    expect(files).toBeGreaterThan(1000);
  });

  it('reads the conformance models into plain data (test_conv_with_strides_and_asymmetric_padding)', () => {
    if (!existsSync(casesDir)) throw new Error(`ONNX conformance cases not found at ${casesDir}`);
    const m = decodeModel(readFileSync(join(casesDir, 'test_conv_with_strides_and_asymmetric_padding', 'model.onnx')));
    expect(m.opsets).toEqual([{ domain: '', version: 22 }]);
    const node = m.graph.nodes[0];
    expect(node.opType).toBe('Conv');
    expect(Object.fromEntries(node.attributes.map((a) => [a.name, a.ints]))).toEqual({ kernel_shape: [3, 3], pads: [1, 0, 1, 0], strides: [2, 2] });
    expect(m.graph.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['x', [1, 1, 7, 5]],
      ['W', [1, 1, 3, 3]],
    ]);
  });
});
