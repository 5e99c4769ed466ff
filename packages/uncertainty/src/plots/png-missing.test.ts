import { describe, expect, it, vi } from 'vitest';
import { svgToPng } from '../index';

vi.mock('@resvg/resvg-js', () => {
  throw new Error('Cannot find module @resvg/resvg-js');
});

describe('svgToPng without the optional dependency', () => {
  it('says which package to install and keeps the cause', async () => {
    const error = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg"/>').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /needs the optional dependency @resvg\/resvg-js.*npm install @resvg\/resvg-js/,
    );
    expect(error?.cause).toBeInstanceOf(Error);
  });
});
