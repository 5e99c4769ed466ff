import { afterEach, describe, expect, it, vi } from 'vitest';
import { env } from '../env.js';
import type { Params, TensorOps } from '../ops/ops.js';
import type { Engine, EngineInfo } from './engine.js';
import { listEngines, registerEngine, resolveEngine, unregisterEngine } from './registry.js';
import { importOptional, TFJS_BACKENDS } from './tfjs/backends.js';

class MockEngine implements Engine<number> {
  initCalls = 0;
  constructor(
    readonly label: string,
    private readonly failure?: Error,
  ) {}
  async init(): Promise<void> {
    this.initCalls++;
    if (this.failure) throw this.failure;
  }
  get ops(): TensorOps<number> {
    throw new Error('not used');
  }
  info(): EngineInfo {
    return { name: this.label, family: 'mock', backend: this.label, version: '0' };
  }
  valueAndGrads(f: (p: Params<number>) => number, params: Params<number>) {
    return { value: f(params), grads: {} };
  }
}

const registered: string[] = [];
function register(name: string, engine: Engine, priority: number): void {
  registerEngine(name, engine, priority);
  registered.push(name);
}

afterEach(() => {
  for (const name of registered.splice(0)) unregisterEngine(name);
  env.backends.engines = undefined;
});

describe('engine registry (contract with a mock engine)', () => {
  it('lists built-in tfjs engines by priority', () => {
    expect(listEngines()).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    expect(Object.keys(TFJS_BACKENDS)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
  });

  it('resolves the highest-priority engine that initialises, once, and reports skipped ones', async () => {
    const broken = new MockEngine('broken', new Error('no GPU here'));
    const good = new MockEngine('good');
    register('mock-broken', broken, 1000);
    register('mock-good', good, 900);
    const first = await resolveEngine();
    expect(first.name).toBe('mock-good');
    expect(first.info.family).toBe('mock');
    expect(first.skipped).toEqual([{ name: 'mock-broken', reason: 'no GPU here' }]);
    const again = await resolveEngine();
    expect(again.engine).toBe(good);
    expect(good.initCalls).toBe(1);
    expect(broken.initCalls).toBe(1);
  });

  it('follows a hint list, then env.backends.engines', async () => {
    const a = new MockEngine('a');
    const b = new MockEngine('b');
    register('mock-a', a, 1000);
    register('mock-b', b, 1);
    expect((await resolveEngine(['mock-b', 'mock-a'])).name).toBe('mock-b');
    env.backends.engines = ['mock-b'];
    expect((await resolveEngine()).name).toBe('mock-b');
  });

  it('fails with every reason when no hinted engine initialises', async () => {
    register('mock-x', new MockEngine('x', new Error('x is broken')), 1);
    register('mock-y', new MockEngine('y', new Error('y is broken')), 1);
    await expect(resolveEngine(['mock-x', 'mock-y'])).rejects.toThrow(
      /No available engine among mock-x, mock-y\. \[mock-x\] x is broken; \[mock-y\] y is broken/,
    );
  });

  it('rejects unknown names, duplicates and malformed engines', async () => {
    await expect(resolveEngine('tpu')).rejects.toThrow(/Unknown engine "tpu". Should be one of: .*wasm, cpu/);
    register('mock-dup', new MockEngine('d'), 1);
    expect(() => registerEngine('mock-dup', new MockEngine('d'), 1)).toThrow(/already registered/);
    expect(() => registerEngine('mock-bad', {} as Engine, 1)).toThrow(TypeError);
    expect(() => registerEngine('', new MockEngine('e'), 1)).toThrow(TypeError);
  });
});

describe('tfjs backends on this machine (no tfjs-node installed)', () => {
  it('falls back to wasm by default and reports the missing optional backends', async () => {
    const sink = vi.fn();
    const previousSink = env.logSink;
    env.logSink = sink;
    env.logLevel = 'info';
    try {
      const resolved = await resolveEngine();
      expect(resolved.name).toBe('wasm');
      expect(resolved.info).toMatchObject({ family: 'tfjs', backend: 'wasm', convGradient: 'forward-conv' });
      expect(resolved.skipped.map((s) => s.name)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
      expect(resolved.skipped[1].reason).toMatch(/npm i @tensorflow\/tfjs-node`/);
      expect(sink).toHaveBeenCalledWith('info', expect.stringMatching(/engine "tfjs-node" skipped/));
      expect(sink).toHaveBeenCalledWith('info', expect.stringMatching(/using engine "wasm"/));
    } finally {
      env.logLevel = 'silent';
      env.logSink = previousSink;
    }
  });

  it('fails with an install hint when a missing backend is asked for explicitly', async () => {
    await expect(resolveEngine('tfjs-node')).rejects.toThrow(
      'Engine "tfjs-node" is not available: @tensorflow/tfjs-node is not installed. Install it with `npm i @tensorflow/tfjs-node`.',
    );
    await expect(resolveEngine(['tfjs-node-gpu'])).rejects.toThrow(/npm i @tensorflow\/tfjs-node-gpu/);
  });

  it('uses the first available hint and reports the skipped one', async () => {
    const resolved = await resolveEngine(['tfjs-node', 'cpu']);
    expect(resolved.name).toBe('cpu');
    expect(resolved.info.convGradient).toBe('builtin');
    expect(resolved.skipped).toHaveLength(1);
  });

  it('importOptional distinguishes missing packages', async () => {
    await expect(importOptional('@medsymmflow/no-such-package')).rejects.toThrow(
      /is not installed\. Install it with `npm i @medsymmflow\/no-such-package`/,
    );
  });

  it('rejects a bad log level with the valid ones', () => {
    expect(() => {
      env.logLevel = 'loud' as never;
    }).toThrow(/Should be one of: silent, error, warn, info, debug/);
  });
});
