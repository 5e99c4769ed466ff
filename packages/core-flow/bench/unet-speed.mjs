#!/usr/bin/env node
/**
 * Speed of the default UNet on one engine: forward (one velocity evaluation) and forward + backward of the
 * SFM loss, in images per second. Run after `pnpm build`:
 *   node bench/unet-speed.mjs [--engine wasm] [--batch 32] [--iterations 3] [--in-channels 4]
 */
import { parseArgs } from 'node:util';
import {
  createUNet,
  initParams,
  resolveEngine,
  sampleSfmNoise,
  sfmLoss,
  sfmNoiseTensors,
} from '../dist/index.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '32' },
    iterations: { type: 'string', default: '3' },
    'in-channels': { type: 'string', default: '4' },
  },
});
const batch = Number(values.batch);
const iterations = Number(values.iterations);
const inChannels = Number(values['in-channels']);
const { engine, info } = await resolveEngine(values.engine);
const ops = engine.ops;
const unet = createUNet({ inChannels });
const params = initParams(ops, unet.paramSpecs, Math.random);
const size = unet.config.imageSize;
const shape = { n: batch, height: size, width: size, imageChannels: 1, maskChannels: inChannels - 1 };
const data = sampleSfmNoise(shape, Math.random);
const images = ops.fromNHWC(
  data.xiX.map((v) => Math.tanh(v)),
  [batch, size, size, 1],
);
const masks = ops.fromNHWC(
  data.xiM.map((v) => 0.5 * v),
  [batch, size, size, inChannels - 1],
);
const noise = sfmNoiseTensors(ops, sampleSfmNoise(shape, Math.random), shape);
const x = ops.fromNHWC(
  new Float32Array(batch * size * size * inChannels).map(() => Math.random()),
  [batch, size, size, inChannels],
);

function forward() {
  const y = ops.tidy(() => unet.forward(ops, params, x, noise.t));
  ops.read(y);
  ops.dispose(y);
}
function forwardBackward() {
  const { value, grads } = engine.valueAndGrads(
    (p) => sfmLoss(ops, unet, p, { images, masks }, noise).loss,
    params,
  );
  ops.readScalar(value);
  for (const g of Object.values(grads)) ops.read(g);
  ops.dispose([value, ...Object.values(grads)]);
}
function time(label, fn) {
  fn(); // warm-up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const seconds = (performance.now() - start) / 1000 / iterations;
  console.log(
    `${label}: ${seconds.toFixed(3)} s per batch of ${batch} → ${(batch / seconds).toFixed(1)} img/s`,
  );
}
console.log(
  `engine ${info.name} (${info.backend}, simd ${info.simd ?? 'n/a'}, threads ${info.threads ?? 'n/a'}, conv grads ${info.convGradient}); ` +
    `UNet ${unet.numParameters} params, ${size}×${size}×${inChannels}, batch ${batch}, ${iterations} timed iterations`,
);
time('forward', forward);
time('forward+backward', forwardBackward);
console.log(`heap: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB rss`);
