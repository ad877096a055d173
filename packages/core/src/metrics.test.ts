import { confusionMatrix, errorRate, topKError } from '@hubel/core';
import { describe, expect, it } from 'vitest';

describe('metrics', () => {
  // Three examples, four classes; true labels 2, 0, 3.
  const scores = [0.1, 0.2, 0.6, 0.1, /**/ 0.3, 0.4, 0.2, 0.1, /**/ 0.5, 0.1, 0.3, 0.2];
  const labels = [2, 0, 3];
  it('error rate counts wrong arg-max', () => {
    expect(errorRate(scores, [3, 4], labels)).toBeCloseTo(2 / 3, 12);
  });
  it('top-k error counts the true class outside the k best', () => {
    // Ranks of the true class: 1st, 2nd, 3rd.
    expect(topKError(scores, [3, 4], labels, 2)).toBeCloseTo(1 / 3, 12);
    expect(topKError(scores, [3, 4], labels, 3)).toBe(0);
  });
  it('confusion matrix has true classes as rows', () => {
    const m = confusionMatrix(scores, [3, 4], labels);
    expect(m[2][2]).toBe(1);
    expect(m[0][1]).toBe(1);
    expect(m[3][0]).toBe(1);
    expect(m.flat().reduce((a, b) => a + b)).toBe(3);
  });
  it('counts a tie with the true class, and a NaN score, as wrong', () => {
    // All-equal scores (a dead network) rank no class first: 100% error, not 0%.
    expect(errorRate([0, 0, 0, 0, 0, 0], [2, 3], [0, 2])).toBe(1);
    // A tie for second place puts the true class third: outside the top 2, inside the top 3.
    expect(topKError([0.5, 0.2, 0.2], [1, 3], [2], 2)).toBe(1);
    expect(topKError([0.5, 0.2, 0.2], [1, 3], [2], 3)).toBe(0);
    expect(errorRate([NaN, 0, 1], [1, 3], [0])).toBe(1);
    expect(errorRate([1, NaN, 0], [1, 3], [0])).toBe(1);
  });
  it('rejects labels outside the class range', () => {
    expect(() => errorRate(scores, [3, 4], [2, 0, 4])).toThrowError(/label 4 at row 2 is outside \[0, 4\)/);
  });
});
