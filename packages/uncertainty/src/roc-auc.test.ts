import { describe, expect, it } from 'vitest';
import { rocAuc } from './index';

describe('rocAuc', () => {
  it('matches hand-computed values', () => {
    // Pairs (pos, neg): (0.35, 0.1) ✓ (0.35, 0.4) ✗ (0.8, 0.1) ✓ (0.8, 0.4) ✓ → 3/4.
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(rocAuc([0, 1], [0.2, 0.9])).toBe(1);
    expect(rocAuc([1, 0], [0.2, 0.9])).toBe(0);
    expect(rocAuc([true, false, true], [3, 1, 2])).toBe(1);
  });

  it('counts tied positive/negative pairs one half (average ranks, as sklearn)', () => {
    // (0.5, 0.5) ½, (0.5, 0.2) 1, (0.9, 0.5) 1, (0.9, 0.2) 1 → 3.5 / 4.
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBe(0.875);
    expect(rocAuc([0, 1, 0, 1, 1], [1, 1, 1, 1, 1])).toBe(0.5);
    // Ties inside one class do not matter: pos {2, 2, 1}, neg {1, 0}: 2·2 + (½ + 1) = 5.5 / 6.
    expect(rocAuc([1, 1, 1, 0, 0], [2, 2, 1, 1, 0])).toBeCloseTo(5.5 / 6, 12);
  });

  it('does not depend on sample order', () => {
    const y = [1, 0, 1, 1, 0, 0, 1, 0];
    const s = [0.3, 0.3, 0.9, 0.1, 0.2, 0.9, 0.5, 0.5];
    const perm = [7, 2, 5, 0, 3, 6, 1, 4];
    expect(
      rocAuc(
        perm.map((i) => y[i]),
        perm.map((i) => s[i]),
      ),
    ).toBe(rocAuc(y, s));
  });

  it('equals the brute-force pair count on data with many ties', () => {
    const n = 57;
    const y = Array.from({ length: n }, (_, i) => (i * 3) % 4 === 0);
    const s = Array.from({ length: n }, (_, i) => (i * 7) % 5);
    let pairs = 0;
    let wins = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (y[i] && !y[j]) {
          pairs++;
          wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }
    }
    expect(rocAuc(y, s)).toBeCloseTo(wins / pairs, 12);
  });

  it('rejects one-class, empty, NaN, mismatched and non-binary input', () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/only one class \(all 1, n = 3\)/);
    expect(() => rocAuc([0, 0], [0.1, 0.2])).toThrow(/only one class \(all 0/);
    expect(() => rocAuc([], [])).toThrow(/empty/);
    expect(() => rocAuc([0, 1], [0.1, Number.NaN])).toThrow(/yScore contains NaN at index 1/);
    expect(() => rocAuc([0, 1], [0.1, Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
    expect(() => rocAuc([0, 1, 1], [0.1, 0.2])).toThrow(/3 entries, expected 2/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/yTrue\[1\] = 2 is not binary/);
  });
});
