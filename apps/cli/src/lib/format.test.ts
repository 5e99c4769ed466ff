import { describe, expect, it } from 'vitest';
import { csvField, formatBytes, formatTable, wrap } from './format';

describe('format helpers', () => {
  it('aligns table columns', () => {
    const table = formatTable(
      [
        { name: 'a', n: 1 },
        { name: 'long name', n: 12345 },
      ],
      [
        { header: 'NAME', value: (r) => r.name },
        { header: 'N', value: (r) => r.n, right: true },
      ],
    );
    expect(table).toBe('NAME           N\na              1\nlong name  12345\n');
  });

  it('quotes CSV fields that need it', () => {
    expect(csvField('normal, benign')).toBe('"normal, benign"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(3)).toBe('3');
  });

  it('formats byte counts and wraps text', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4170669)).toBe('3.98 MiB');
    expect(wrap('aaa bbb ccc', 9, '  ')).toBe('  aaa bbb\n  ccc');
  });
});
