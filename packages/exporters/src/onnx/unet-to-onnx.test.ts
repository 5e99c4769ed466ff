import { createUNet, type FlowNetwork, type TensorOps, type UNetConfig } from '@medsymmflow/core-flow';
import { beforeAll, describe, expect, it } from 'vitest';
import { nchwToNhwc, nhwcToNchw, transposeData } from '../internal/float-kernels.js';
import { createOrtSession, type OrtSession } from '../runtime/ort-session.js';
import {
  makeNetwork,
  maxAbsDiff,
  randomParamData,
  TINY_UNET,
  tfjsOps,
  uniformData,
} from '../testing/fixtures.js';
import { readOnnxModel } from './read-onnx.js';
import { type UNetToOnnxConfig, unetToOnnx } from './unet-to-onnx.js';

let tfjs: TensorOps<unknown>;
beforeAll(async () => {
  tfjs = await tfjsOps();
});

/** tfjs velocities (NHWC) of `net` for NHWC input `x` and times `t`. */
function tfjsVelocity(net: FlowNetwork<unknown>, x: Float32Array, t: Float32Array): Float32Array {
  const { imageSize: s, inChannels: c } = net.unet.config;
  const n = t.length;
  return tfjs.tidy(() =>
    tfjs.toNHWC(net.unet.forward(tfjs, net.params, tfjs.fromNHWC(x, [n, s, s, c]), tfjs.constant(t, [n]))),
  );
}

/** ORT velocities (NHWC) for NHWC input, whatever the graph's layout. */
function ortVelocity(
  session: OrtSession,
  layout: 'NCHW' | 'NHWC',
  x: Float32Array,
  t: Float32Array,
  s: number,
  c: number,
) {
  const n = t.length;
  const feed =
    layout === 'NCHW'
      ? { data: nhwcToNchw(x, n, s, s, c), dims: [n, c, s, s] }
      : { data: x, dims: [n, s, s, c] };
  const v = session.runSync({ x: feed, t: { data: t, dims: [n] } }).v;
  return layout === 'NCHW' ? nchwToNhwc(v.data, n, c, s, s) : v.data;
}

const times = (n: number) => Float32Array.from({ length: n }, (_, i) => (n === 1 ? 0.5 : i / (n - 1)));

describe('unetToOnnx: the tiny UNet in ONNX Runtime matches tfjs', () => {
  const variants: [string, UNetConfig, UNetToOnnxConfig][] = [
    ['defaults (opset 17, instance-norm GroupNorm, NCHW)', {}, {}],
    ['scale-shift norm', { useScaleShiftNorm: true }, {}],
    ['NHWC graph inputs/outputs', {}, { layout: 'NHWC' }],
    ['opset 18', {}, { opset: 18 }],
    ['opset 21 native GroupNormalization', {}, { opset: 21, groupNorm: 'native' }],
    ['no constant folding', {}, { foldConstants: false }],
  ];
  for (const [label, unetConfig, exportConfig] of variants) {
    it(label, async () => {
      const net = makeNetwork(tfjs, { ...TINY_UNET, ...unetConfig }, { seed: 5 });
      const { bytes, layout } = unetToOnnx(net.unet, net.paramData, exportConfig);
      const session = await createOrtSession(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
      const n = 3;
      const x = uniformData(n * 8 * 8 * 4, 9);
      const expected = tfjsVelocity(net, x, times(n));
      const actual = ortVelocity(session, layout, x, times(n), 8, 4);
      session.dispose();
      const diff = maxAbsDiff(actual, expected);
      expect(diff.scale).toBeGreaterThan(0.1);
      expect(diff.abs).toBeLessThan(1e-4);
    });
  }
});

describe('unetToOnnx: graph contents', () => {
  it('has named inputs x and t, output v, a dynamic batch and weights as initializers', () => {
    const unet = createUNet({ ...TINY_UNET });
    const params = randomParamData(unet.paramSpecs, 3);
    const { bytes, opset } = unetToOnnx(unet, params, { metadata: { note: 'hello' }, docString: 'doc' });
    const model = readOnnxModel(bytes);
    expect(opset).toBe(17);
    expect(model.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(model.irVersion).toBe(8);
    expect(model.metadata.note).toBe('hello');
    expect(model.docString).toBe('doc');
    expect(model.inputs.map((i) => [i.name, i.dims])).toEqual([
      ['x', ['batch', 4, 8, 8]],
      ['t', ['batch']],
    ]);
    expect(model.outputs.map((o) => [o.name, o.dims])).toEqual([['v', ['batch', 4, 8, 8]]]);

    const init = new Map(model.initializers.map((i) => [i.name, i]));
    // Conv kernels are stored OIHW, converted from the canonical HWIO.
    const stem = init.get('input.0.conv.kernel_oihw')!;
    expect(stem.dims).toEqual([8, 4, 3, 3]);
    expect(Array.from(stem.floatData!)).toEqual(
      Array.from(transposeData(params['input.0.conv.kernel'], [3, 3, 4, 8], [3, 2, 0, 1])),
    );
    // Linear weights stay [in, out] for Gemm; biases are used as they are.
    expect(Array.from(init.get('time.linear1.weight')!.floatData!)).toEqual(
      Array.from(params['time.linear1.weight']),
    );
    expect(init.get('input.0.conv.bias')!.dims).toEqual([8]);
    // Every parameter value is in the file exactly once (in some layout), and nothing unused is written.
    const floatCount = model.initializers
      .filter((i) => i.dataType === 1)
      .reduce((s, i) => s + i.floatData!.length, 0);
    expect(floatCount).toBeGreaterThanOrEqual(unet.numParameters);
    const used = new Set(model.nodes.flatMap((n) => n.inputs));
    for (const i of model.initializers) expect(used.has(i.name)).toBe(true);
    expect(model.nodes.map((n) => n.opType)).not.toContain('Dropout');
  });

  it('runs any batch size through one session (batch 1, 3 and 64)', async () => {
    const net = makeNetwork(tfjs, TINY_UNET, { seed: 8 });
    const session = await createOrtSession(unetToOnnx(net.unet, net.paramData).bytes, {
      intraOpNumThreads: 1,
    });
    for (const n of [1, 3, 64]) {
      const x = uniformData(n * 8 * 8 * 4, n);
      const actual = ortVelocity(session, 'NCHW', x, times(n), 8, 4);
      expect(actual).toHaveLength(n * 8 * 8 * 4);
      expect(maxAbsDiff(actual, tfjsVelocity(net, x, times(n))).abs).toBeLessThan(1e-4);
    }
    session.dispose();
  });

  it('rejects missing, misshaped and non-finite parameters by name', () => {
    const unet = createUNet({ ...TINY_UNET });
    const params = randomParamData(unet.paramSpecs, 3);
    const withNaN = { ...params, 'middle.attn.qkv.kernel': params['middle.attn.qkv.kernel'].slice() };
    withNaN['middle.attn.qkv.kernel'][7] = Number.NaN;
    expect(() => unetToOnnx(unet, withNaN)).toThrow(/"middle\.attn\.qkv\.kernel" contains NaN at index 7/);
    const { 'out.conv.bias': _, ...missing } = params;
    expect(() => unetToOnnx(unet, missing)).toThrow(/no values for parameter "out\.conv\.bias"/);
    expect(() => unetToOnnx(unet, { ...params, 'out.conv.bias': new Float32Array(3) })).toThrow(
      /has 3 values/,
    );
    expect(() => unetToOnnx(unet, params, { layout: 'NWHC' as never })).toThrow(/'NCHW', 'NHWC'/);
  });
});
