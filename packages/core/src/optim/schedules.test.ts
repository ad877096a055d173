import { cosineSchedule, stepSchedule } from '@hubel/core';
import { describe, expect, it } from 'vitest';

describe('learning-rate schedules', () => {
  it('step decays by gamma every stepSize epochs', () => {
    const s = stepSchedule(3, 0.5);
    expect([0, 2, 3, 5, 6].map((e) => s(0.8, e))).toEqual([0.8, 0.8, 0.4, 0.4, 0.2]);
  });
  it('cosine goes from lr to minLr along half a cosine', () => {
    const s = cosineSchedule(10, 0.01);
    expect(s(1, 0)).toBeCloseTo(1, 12);
    expect(s(1, 5)).toBeCloseTo(0.01 + 0.99 * 0.5, 12);
    expect(s(1, 10)).toBeCloseTo(0.01, 12);
  });
  it('rejects nonsense', () => {
    expect(() => stepSchedule(0)).toThrowError(/stepSize must be a positive integer/);
  });
});
