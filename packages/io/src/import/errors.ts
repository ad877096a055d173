import { HubelError } from '@hubel/core';

/**
 * The file is valid ONNX but uses something Hubel does not implement: operators (all of them
 * listed at once), data types, or operator variants (extra outputs, computed weights).
 * `unsupported` lists the items, e.g. ['ai.onnx.If', 'ai.onnx.Loop'].
 */
export class UnsupportedOnnxError extends HubelError {
  constructor(
    message: string,
    /** Every unsupported item found in the file, e.g. `['ai.onnx.If', 'ai.onnx.Loop']`. */
    readonly unsupported: readonly string[],
  ) {
    super('unknown-layer', message);
    this.name = 'UnsupportedOnnxError';
  }
}

/** `opLabel('', 'Conv')` → 'Conv'; `opLabel('ai.hubel', 'Maxout')` → 'ai.hubel.Maxout'. */
export function opLabel(domain: string, opType: string): string {
  return domain ? `${domain}.${opType}` : opType;
}
