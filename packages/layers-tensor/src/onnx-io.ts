import type { OnnxMapping } from '@hubel/core';

/** Identity helper kept for the definitions that use it: an `onnx` mapping, typed. */
export function withIo<A>(m: OnnxMapping<A>): OnnxMapping<A> {
  return m;
}
