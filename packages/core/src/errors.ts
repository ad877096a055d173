/**
 * Every error Hubel throws on bad input is a `HubelError`, with a `code` a caller can branch on
 * and a message that names the node or file, what was expected and what was found.
 */
export type HubelErrorCode =
  | 'shape'
  | 'attribute'
  | 'unknown-layer'
  | 'unknown-kernel'
  | 'unknown-backend'
  | 'disposed'
  | 'dtype'
  | 'graph'
  | 'non-finite'
  | 'backend'
  | 'format'
  | 'io';

/** The error Hubel throws on bad input: `code` says which kind, the message names the node or file. */
export class HubelError extends Error {
  constructor(
    /** What went wrong, for callers that branch on it (`'shape'`, `'unknown-kernel'`, `'format'`, ...). */
    readonly code: HubelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubelError';
  }
}

/** Formats a shape as `[2, 3, 4]` for messages. */
export function fmtShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'N' : String(d))).join(', ')}]`;
}
