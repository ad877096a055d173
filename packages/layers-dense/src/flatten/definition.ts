import { attr, defineLayer, sizeOf } from '@hubel/core';

/** [d0, …, d(axis−1), d(axis), …] → [d0·…·d(axis−1), d(axis)·…]: a pure reshape (ONNX Flatten). */
export const Flatten = defineLayer({
  domain: '',
  type: 'Flatten',
  attrs: { axis: attr.int({ default: 1 }) },
  inferShapes: (a, [x]) => {
    const axis = a.axis < 0 ? a.axis + x.length : a.axis;
    if (axis < 0 || axis > x.length) throw new Error(`axis ${a.axis} is out of range for a rank-${x.length} input`);
    return [[sizeOf(x.slice(0, axis)), sizeOf(x.slice(axis))]];
  },
  onnx: { since: 13 },
});
