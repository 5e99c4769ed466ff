/**
 * @file The UNet velocity network (guided-diffusion style), written once against {@link TensorOps}.
 *
 * Layout of the network, for `channelMults = [1, 2, 2]` and `numResBlocks = 2` at 28 px:
 * sinusoidal time embedding → MLP (base → 4·base → 4·base, SiLU); input 3×3 conv; per level
 * `numResBlocks` residual blocks (+ self-attention where the feature map size is in
 * `attentionResolutions`) and a stride-2 3×3 conv between levels (28 → 14 → 7); a middle
 * res/attention/res block; the mirrored decoder with `numResBlocks + 1` blocks per level fed by the
 * skip connections and nearest ×2 upsampling + 3×3 conv; GroupNorm → SiLU → zero-initialised 3×3 conv.
 * Residual blocks add a projection of the time embedding (or, with `useScaleShiftNorm`, apply it as
 * FiLM scale/shift after the second GroupNorm); their last conv and the attention output projection start
 * at zero, as in guided-diffusion, so the whole network outputs exactly zero at initialisation.
 *
 * @module model/unet
 */
import type { ParamInit, ParamSpec, Params, TensorOps } from '../ops/ops.js';
import { countParameters } from '../ops/params.js';
import { drawSeed, type RandomSource } from '../ops/random.js';

/** User options of the UNet. Every field is optional; see {@link UNET_DEFAULTS}. */
export interface UNetConfig {
  /** Height and width of the square input. @defaultValue 28 */
  imageSize?: number;
  /** Input channels: image channels + mask channels. @defaultValue 4 (grey image + RGB palette mask) */
  inChannels?: number;
  /** Output channels (both velocities). @defaultValue same as `inChannels` */
  outChannels?: number;
  /** Channels of the first level (guided-diffusion `model_channels`). @defaultValue 32 */
  baseChannels?: number;
  /** Channel multiplier per level; the resolution halves between levels. @defaultValue [1, 2, 2] */
  channelMults?: readonly number[];
  /** Residual blocks per encoder level (the decoder has one more). @defaultValue 2 */
  numResBlocks?: number;
  /** Feature-map sizes in pixels where self-attention is used (the middle block always has it). @defaultValue [7] */
  attentionResolutions?: readonly number[];
  /** Attention heads, used when `numHeadChannels` is 0. @defaultValue 4 */
  numHeads?: number;
  /** Channels per attention head; when > 0 the head count is `channels / numHeadChannels`. @defaultValue 32 */
  numHeadChannels?: number;
  /** Maximum GroupNorm groups; each norm uses the largest count ≤ this that divides its channels. @defaultValue 32 */
  normGroups?: number;
  /** GroupNorm epsilon. @defaultValue 1e-5 */
  normEps?: number;
  /** Dropout rate inside residual blocks (training only). @defaultValue 0 */
  dropout?: number;
  /** FiLM-style time conditioning (scale and shift after the second GroupNorm). @defaultValue false */
  useScaleShiftNorm?: boolean;
  /** `max_period` of the sinusoidal time embedding. @defaultValue 10000 */
  timeEmbedMaxPeriod?: number;
  /** Factor applied to t ∈ [0, 1] before the sinusoidal embedding (the official code uses t as is). @defaultValue 1 */
  timeScale?: number;
}

/** A fully resolved and validated {@link UNetConfig}. */
export interface ResolvedUNetConfig {
  readonly imageSize: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly baseChannels: number;
  readonly channelMults: readonly number[];
  readonly numResBlocks: number;
  readonly attentionResolutions: readonly number[];
  readonly numHeads: number;
  readonly numHeadChannels: number;
  readonly normGroups: number;
  readonly normEps: number;
  readonly dropout: number;
  readonly useScaleShiftNorm: boolean;
  readonly timeEmbedMaxPeriod: number;
  readonly timeScale: number;
}

/**
 * Defaults, chosen for 28 px MedMNIST on a 2-core CPU. The official MedSymmFlow script defaults are
 * `model_channels 64, channel_mult (1,2,2), num_res_blocks 2, attention at downsample rate 4 (7 px),
 * num_head_channels 32, dropout 0, no scale-shift`; we keep the architecture (levels, blocks, attention
 * at 7 px, 32 channels per head, 32 GroupNorm groups, zero-initialised outputs) and halve the width to
 * base 32, which cuts compute ~4× so training fits a CPU budget (≈1.5M parameters at 4 channels).
 */
export const UNET_DEFAULTS: ResolvedUNetConfig = Object.freeze({
  imageSize: 28,
  inChannels: 4,
  outChannels: 4,
  baseChannels: 32,
  channelMults: Object.freeze([1, 2, 2]),
  numResBlocks: 2,
  attentionResolutions: Object.freeze([7]),
  numHeads: 4,
  numHeadChannels: 32,
  normGroups: 32,
  normEps: 1e-5,
  dropout: 0,
  useScaleShiftNorm: false,
  timeEmbedMaxPeriod: 10000,
  timeScale: 1,
});

const KNOWN_KEYS = new Set(Object.keys(UNET_DEFAULTS));

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`UNet config '${name}' must be a positive integer; got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * Fills in defaults and validates a UNet config. The input is copied, never mutated.
 *
 * @throws TypeError for unknown keys or wrong types; RangeError for values out of range, with the valid
 * choices (e.g. the feature-map sizes that attention can use).
 */
export function resolveUNetConfig(config: UNetConfig = {}): ResolvedUNetConfig {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`UNet config must be an object; got ${JSON.stringify(config)}.`);
  }
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new TypeError(`Unknown UNet config key '${key}'. Valid keys: ${[...KNOWN_KEYS].join(', ')}.`);
    }
  }
  const merged = { ...UNET_DEFAULTS, ...stripUndefined(config) };
  const imageSize = positiveInteger('imageSize', merged.imageSize);
  const inChannels = positiveInteger('inChannels', merged.inChannels);
  const outChannels = positiveInteger('outChannels', config.outChannels ?? inChannels);
  const baseChannels = positiveInteger('baseChannels', merged.baseChannels);
  if (baseChannels % 2 !== 0) {
    throw new RangeError(
      `UNet config 'baseChannels' must be even (it is the sinusoidal time-embedding width); got ${baseChannels}.`,
    );
  }
  if (!Array.isArray(merged.channelMults) || merged.channelMults.length === 0) {
    throw new RangeError(
      `UNet config 'channelMults' must be a non-empty array of positive integers such as [1, 2, 2]; got ${JSON.stringify(merged.channelMults)}.`,
    );
  }
  const channelMults = merged.channelMults.map((m, i) => positiveInteger(`channelMults[${i}]`, m));
  const numResBlocks = positiveInteger('numResBlocks', merged.numResBlocks);
  const levels = channelMults.length;
  const resolutions: number[] = [];
  let size = imageSize;
  for (let level = 0; level < levels; level++) {
    resolutions.push(size);
    if (level < levels - 1) {
      if (size % 2 !== 0) {
        throw new RangeError(
          `UNet imageSize ${imageSize} cannot be halved ${levels - 1} times (level ${level} is ${size} px). ` +
            `Use fewer channelMults or an image size divisible by ${2 ** (levels - 1)}.`,
        );
      }
      size /= 2;
    }
  }
  if (!Array.isArray(merged.attentionResolutions)) {
    throw new TypeError(
      `UNet config 'attentionResolutions' must be an array of feature-map sizes; got ${JSON.stringify(merged.attentionResolutions)}.`,
    );
  }
  const attentionResolutions = [...merged.attentionResolutions];
  for (const r of attentionResolutions) {
    if (!resolutions.includes(r)) {
      throw new RangeError(
        `UNet config 'attentionResolutions' contains ${JSON.stringify(r)}, which is not a feature-map size of this network. ` +
          `Valid sizes for imageSize ${imageSize} and ${levels} levels: ${resolutions.join(', ')}.`,
      );
    }
  }
  const numHeads = positiveInteger('numHeads', merged.numHeads);
  const numHeadChannels = merged.numHeadChannels;
  if (typeof numHeadChannels !== 'number' || !Number.isInteger(numHeadChannels) || numHeadChannels < 0) {
    throw new RangeError(
      `UNet config 'numHeadChannels' must be 0 (use numHeads) or a positive integer; got ${JSON.stringify(numHeadChannels)}.`,
    );
  }
  const normGroups = positiveInteger('normGroups', merged.normGroups);
  const normEps = merged.normEps;
  if (typeof normEps !== 'number' || !(normEps > 0)) {
    throw new RangeError(`UNet config 'normEps' must be a positive number; got ${JSON.stringify(normEps)}.`);
  }
  const dropout = merged.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new RangeError(`UNet config 'dropout' must be in [0, 1); got ${JSON.stringify(dropout)}.`);
  }
  if (typeof merged.useScaleShiftNorm !== 'boolean') {
    throw new TypeError(
      `UNet config 'useScaleShiftNorm' must be a boolean; got ${JSON.stringify(merged.useScaleShiftNorm)}.`,
    );
  }
  for (const key of ['timeEmbedMaxPeriod', 'timeScale'] as const) {
    const v = merged[key];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new RangeError(`UNet config '${key}' must be a positive number; got ${JSON.stringify(v)}.`);
    }
  }
  const resolved: ResolvedUNetConfig = {
    imageSize,
    inChannels,
    outChannels,
    baseChannels,
    channelMults,
    numResBlocks,
    attentionResolutions,
    numHeads,
    numHeadChannels,
    normGroups,
    normEps,
    dropout,
    useScaleShiftNorm: merged.useScaleShiftNorm,
    timeEmbedMaxPeriod: merged.timeEmbedMaxPeriod,
    timeScale: merged.timeScale,
  };
  // Head counts must divide the channels of every attention block; check now so the error is early.
  buildPlan(resolved);
  return resolved;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Largest group count ≤ `maxGroups` that divides `channels`. */
export function groupsFor(channels: number, maxGroups: number): number {
  for (let g = Math.min(maxGroups, channels); g > 1; g--) if (channels % g === 0) return g;
  return 1;
}

// ---------------------------------------------------------------------------------------------------
// Plan: the block list, derived once from the config and shared by paramSpecs() and forward().

interface ResBlockPlan {
  readonly kind: 'res';
  readonly prefix: string;
  readonly inChannels: number;
  readonly outChannels: number;
}
interface AttentionPlan {
  readonly kind: 'attn';
  readonly prefix: string;
  readonly channels: number;
  readonly heads: number;
}
interface ConvPlan {
  readonly kind: 'down' | 'up';
  readonly prefix: string;
  readonly channels: number;
}
type LayerPlan = ResBlockPlan | AttentionPlan | ConvPlan;

interface UNetPlan {
  readonly timeDim: number;
  readonly stem: { readonly prefix: string; readonly outChannels: number };
  /** Encoder stages after the stem; the output of each is kept as a skip connection. */
  readonly input: readonly (readonly LayerPlan[])[];
  readonly middle: readonly LayerPlan[];
  /** Decoder stages; each first concatenates the latest skip connection. */
  readonly output: readonly (readonly LayerPlan[])[];
  readonly outChannels: number;
  readonly finalChannels: number;
}

function headsFor(config: ResolvedUNetConfig, channels: number, where: string): number {
  if (config.numHeadChannels > 0) {
    if (channels % config.numHeadChannels !== 0) {
      throw new RangeError(
        `UNet attention at ${where} has ${channels} channels, not divisible by numHeadChannels ${config.numHeadChannels}. ` +
          'Change numHeadChannels (or set it to 0 and use numHeads).',
      );
    }
    return channels / config.numHeadChannels;
  }
  if (channels % config.numHeads !== 0) {
    throw new RangeError(
      `UNet attention at ${where} has ${channels} channels, not divisible by numHeads ${config.numHeads}.`,
    );
  }
  return config.numHeads;
}

function buildPlan(config: ResolvedUNetConfig): UNetPlan {
  const { baseChannels: base, channelMults, numResBlocks, attentionResolutions } = config;
  const levels = channelMults.length;
  let ch = channelMults[0] * base;
  const skipChannels: number[] = [ch];
  const input: LayerPlan[][] = [];
  let size = config.imageSize;
  for (let level = 0; level < levels; level++) {
    const width = channelMults[level] * base;
    for (let b = 0; b < numResBlocks; b++) {
      const prefix = `input.${input.length + 1}`;
      const stage: LayerPlan[] = [
        { kind: 'res', prefix: `${prefix}.res`, inChannels: ch, outChannels: width },
      ];
      ch = width;
      if (attentionResolutions.includes(size)) {
        stage.push({
          kind: 'attn',
          prefix: `${prefix}.attn`,
          channels: ch,
          heads: headsFor(config, ch, `${size} px`),
        });
      }
      input.push(stage);
      skipChannels.push(ch);
    }
    if (level < levels - 1) {
      input.push([{ kind: 'down', prefix: `input.${input.length + 1}.down`, channels: ch }]);
      skipChannels.push(ch);
      size /= 2;
    }
  }
  const middle: LayerPlan[] = [
    { kind: 'res', prefix: 'middle.res1', inChannels: ch, outChannels: ch },
    { kind: 'attn', prefix: 'middle.attn', channels: ch, heads: headsFor(config, ch, 'the middle block') },
    { kind: 'res', prefix: 'middle.res2', inChannels: ch, outChannels: ch },
  ];
  const output: LayerPlan[][] = [];
  for (let level = levels - 1; level >= 0; level--) {
    const width = channelMults[level] * base;
    for (let b = 0; b <= numResBlocks; b++) {
      const prefix = `output.${output.length}`;
      const skip = skipChannels.pop()!;
      const stage: LayerPlan[] = [
        { kind: 'res', prefix: `${prefix}.res`, inChannels: ch + skip, outChannels: width },
      ];
      ch = width;
      if (attentionResolutions.includes(size)) {
        stage.push({
          kind: 'attn',
          prefix: `${prefix}.attn`,
          channels: ch,
          heads: headsFor(config, ch, `${size} px`),
        });
      }
      if (level > 0 && b === numResBlocks) {
        stage.push({ kind: 'up', prefix: `${prefix}.up`, channels: ch });
        size *= 2;
      }
      output.push(stage);
    }
  }
  return {
    timeDim: 4 * base,
    stem: { prefix: 'input.0.conv', outChannels: channelMults[0] * base },
    input,
    middle,
    output,
    outChannels: config.outChannels,
    finalChannels: ch,
  };
}

// ---------------------------------------------------------------------------------------------------
// Parameter specs

const ZEROS: ParamInit = Object.freeze({ kind: 'zeros' });
const ONES: ParamInit = Object.freeze({ kind: 'ones' });
const fanIn = (n: number): ParamInit => ({ kind: 'uniform', bound: 1 / Math.sqrt(n) });

function convSpecs(prefix: string, k: number, cin: number, cout: number, zero = false): ParamSpec[] {
  return [
    { name: `${prefix}.kernel`, shape: [k, k, cin, cout], init: zero ? ZEROS : fanIn(k * k * cin) },
    { name: `${prefix}.bias`, shape: [cout], init: zero ? ZEROS : fanIn(k * k * cin) },
  ];
}
function linearSpecs(prefix: string, cin: number, cout: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [cin, cout], init: fanIn(cin) },
    { name: `${prefix}.bias`, shape: [cout], init: fanIn(cin) },
  ];
}
function normSpecs(prefix: string, channels: number): ParamSpec[] {
  return [
    { name: `${prefix}.gamma`, shape: [channels], init: ONES },
    { name: `${prefix}.beta`, shape: [channels], init: ZEROS },
  ];
}

function layerSpecs(layer: LayerPlan, config: ResolvedUNetConfig, timeDim: number): ParamSpec[] {
  const p = layer.prefix;
  switch (layer.kind) {
    case 'res': {
      const { inChannels: cin, outChannels: cout } = layer;
      const specs = [
        ...normSpecs(`${p}.in.norm`, cin),
        ...convSpecs(`${p}.in.conv`, 3, cin, cout),
        ...linearSpecs(`${p}.emb`, timeDim, config.useScaleShiftNorm ? 2 * cout : cout),
        ...normSpecs(`${p}.out.norm`, cout),
        ...convSpecs(`${p}.out.conv`, 3, cout, cout, true),
      ];
      if (cin !== cout) specs.push(...convSpecs(`${p}.skip`, 1, cin, cout));
      return specs;
    }
    case 'attn':
      return [
        ...normSpecs(`${p}.norm`, layer.channels),
        ...convSpecs(`${p}.qkv`, 1, layer.channels, 3 * layer.channels),
        ...convSpecs(`${p}.proj`, 1, layer.channels, layer.channels, true),
      ];
    case 'down':
    case 'up':
      return convSpecs(`${p}.conv`, 3, layer.channels, layer.channels);
  }
}

// ---------------------------------------------------------------------------------------------------
// Forward

/** Options of {@link UNet.forward}. */
export interface UNetForwardOptions {
  /** Enables dropout. @defaultValue false */
  training?: boolean;
  /** Source of dropout seeds when training with `dropout > 0`; fresh engine seeds when omitted. */
  random?: RandomSource;
}

/** The UNet velocity network: an architecture (config + parameter specs) and a pure forward function. */
export interface UNet {
  /** The resolved configuration. */
  readonly config: ResolvedUNetConfig;
  /** Every trainable parameter, in a stable order. */
  readonly paramSpecs: readonly ParamSpec[];
  /** Total number of scalar parameters. */
  readonly numParameters: number;
  /**
   * Velocity `v([x, m], t)`: `x` is a spatial tensor with `inChannels` channels in the engine's layout,
   * `t` a vector `[n]` of times in [0, 1]; returns a spatial tensor with `outChannels` channels.
   */
  forward<T>(ops: TensorOps<T>, params: Params<T>, x: T, t: T, options?: UNetForwardOptions): T;
}

/**
 * Sinusoidal embedding of times `t` (`[n]`) into `[n, dim]` as `[cos(t·f), sin(t·f)]` with
 * `f_i = maxPeriod^(-i / (dim/2))`, built from primitive ops.
 */
export function timestepEmbedding<T>(
  ops: TensorOps<T>,
  t: T,
  dim: number,
  maxPeriod = 10000,
  timeScale = 1,
): T {
  if (dim % 2 !== 0) throw new RangeError(`Time-embedding width must be even; got ${dim}.`);
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = timeScale * Math.exp((-Math.log(maxPeriod) * i) / half);
  const args = ops.mul(ops.reshape(t, [-1, 1]), ops.constant(freqs, [1, half]));
  return ops.concat([ops.cos(args), ops.sin(args)], 1);
}

interface ForwardContext<T> {
  readonly ops: TensorOps<T>;
  readonly params: Params<T>;
  readonly config: ResolvedUNetConfig;
  readonly embAct: T;
  readonly training: boolean;
  readonly random?: RandomSource;
}

function param<T>(ctx: ForwardContext<T>, name: string): T {
  const p = ctx.params[name];
  if (p === undefined) {
    throw new RangeError(`UNet parameter "${name}" is missing from the params record.`);
  }
  return p;
}

function conv<T>(ctx: ForwardContext<T>, x: T, prefix: string, stride: 1 | 2 = 1): T {
  return ctx.ops.conv2d(x, param(ctx, `${prefix}.kernel`), param(ctx, `${prefix}.bias`), { stride });
}

function norm<T>(ctx: ForwardContext<T>, x: T, prefix: string, channels: number): T {
  const groups = groupsFor(channels, ctx.config.normGroups);
  return ctx.ops.groupNorm(
    x,
    groups,
    param(ctx, `${prefix}.gamma`),
    param(ctx, `${prefix}.beta`),
    ctx.config.normEps,
  );
}

function resBlock<T>(ctx: ForwardContext<T>, x: T, layer: ResBlockPlan): T {
  const { ops, config } = ctx;
  const p = layer.prefix;
  let h = conv(ctx, ops.silu(norm(ctx, x, `${p}.in.norm`, layer.inChannels)), `${p}.in.conv`);
  const emb = ops.linear(ctx.embAct, param(ctx, `${p}.emb.weight`), param(ctx, `${p}.emb.bias`));
  if (config.useScaleShiftNorm) {
    const [scale, shift] = ops.split(emb, 2, 1);
    h = norm(ctx, h, `${p}.out.norm`, layer.outChannels);
    h = ops.add(ops.mul(h, ops.addScalar(ops.expandToSpatial(scale), 1)), ops.expandToSpatial(shift));
  } else {
    h = norm(ctx, ops.add(h, ops.expandToSpatial(emb)), `${p}.out.norm`, layer.outChannels);
  }
  h = ops.silu(h);
  if (config.dropout > 0 && ctx.training) {
    h = ops.dropout(h, config.dropout, {
      training: true,
      seed: ctx.random ? drawSeed(ctx.random) : undefined,
    });
  }
  h = conv(ctx, h, `${p}.out.conv`);
  const skip = layer.inChannels === layer.outChannels ? x : conv(ctx, x, `${p}.skip`);
  return ops.add(skip, h);
}

/**
 * @ignore
 * Multi-head self-attention over the positions of a spatial `qkv` tensor with `heads · 3 · c` channels,
 * heads split before q/k/v (guided-diffusion's default "legacy" order: channel = head·3c + j·c + i).
 * Returns the spatial tensor of attended values, `heads · c` channels (head-major).
 */
export function multiHeadAttention<T>(ops: TensorOps<T>, qkv: T, heads: number): T {
  const { height, width, channels: qkvChannels } = ops.spatialShape(qkv);
  const length = height * width;
  const headChannels = qkvChannels / (3 * heads);
  if (!Number.isInteger(headChannels)) {
    throw new RangeError(`Attention qkv has ${qkvChannels} channels, not divisible by 3 × ${heads} heads.`);
  }
  let seq = ops.reshape(ops.spatialToSequence(qkv), [-1, length, heads, 3 * headChannels]);
  seq = ops.reshape(ops.transpose(seq, [0, 2, 1, 3]), [-1, length, 3 * headChannels]);
  const [q, k, v] = ops.split(seq, 3, 2);
  const logits = ops.mulScalar(ops.matmul(q, k, { transposeB: true }), 1 / Math.sqrt(headChannels));
  let a = ops.reshape(ops.matmul(ops.softmax(logits), v), [-1, heads, length, headChannels]);
  a = ops.reshape(ops.transpose(a, [0, 2, 1, 3]), [-1, length, heads * headChannels]);
  return ops.sequenceToSpatial(a, height, width);
}

function attention<T>(ctx: ForwardContext<T>, x: T, layer: AttentionPlan): T {
  const p = layer.prefix;
  const qkv = conv(ctx, norm(ctx, x, `${p}.norm`, layer.channels), `${p}.qkv`);
  return ctx.ops.add(x, conv(ctx, multiHeadAttention(ctx.ops, qkv, layer.heads), `${p}.proj`));
}

function applyLayer<T>(ctx: ForwardContext<T>, x: T, layer: LayerPlan): T {
  switch (layer.kind) {
    case 'res':
      return resBlock(ctx, x, layer);
    case 'attn':
      return attention(ctx, x, layer);
    case 'down':
      return conv(ctx, x, `${layer.prefix}.conv`, 2);
    case 'up':
      return conv(ctx, ctx.ops.upsampleNearest2x(x), `${layer.prefix}.conv`);
  }
}

class UNetImpl implements UNet {
  readonly config: ResolvedUNetConfig;
  readonly paramSpecs: readonly ParamSpec[];
  readonly numParameters: number;
  private readonly plan: UNetPlan;

  constructor(config: ResolvedUNetConfig) {
    this.config = config;
    this.plan = buildPlan(config);
    const { plan } = this;
    const base = config.baseChannels;
    const specs: ParamSpec[] = [
      ...linearSpecs('time.linear1', base, plan.timeDim),
      ...linearSpecs('time.linear2', plan.timeDim, plan.timeDim),
      ...convSpecs(plan.stem.prefix, 3, config.inChannels, plan.stem.outChannels),
    ];
    for (const stage of [...plan.input, plan.middle, ...plan.output]) {
      for (const layer of stage) specs.push(...layerSpecs(layer, config, plan.timeDim));
    }
    specs.push(...normSpecs('out.norm', plan.finalChannels));
    specs.push(...convSpecs('out.conv', 3, plan.finalChannels, config.outChannels, true));
    this.paramSpecs = Object.freeze(
      specs.map((s) => Object.freeze({ ...s, shape: Object.freeze([...s.shape]) })),
    );
    this.numParameters = countParameters(this.paramSpecs);
  }

  forward<T>(ops: TensorOps<T>, params: Params<T>, x: T, t: T, options: UNetForwardOptions = {}): T {
    const { config, plan } = this;
    const shape = ops.spatialShape(x);
    if (shape.channels !== config.inChannels) {
      throw new RangeError(
        `UNet input has ${shape.channels} channels; this network expects ${config.inChannels} (image + mask channels).`,
      );
    }
    const factor = 2 ** (config.channelMults.length - 1);
    if (shape.height % factor !== 0 || shape.width % factor !== 0) {
      throw new RangeError(
        `UNet input is ${shape.height}×${shape.width}; height and width must be divisible by ${factor}.`,
      );
    }
    const base = config.baseChannels;
    const partial: Omit<ForwardContext<T>, 'embAct'> = {
      ops,
      params,
      config,
      training: options.training ?? false,
      random: options.random,
    };
    const ctxForTime = partial as ForwardContext<T>;
    let emb = timestepEmbedding(ops, t, base, config.timeEmbedMaxPeriod, config.timeScale);
    emb = ops.linear(emb, param(ctxForTime, 'time.linear1.weight'), param(ctxForTime, 'time.linear1.bias'));
    emb = ops.linear(
      ops.silu(emb),
      param(ctxForTime, 'time.linear2.weight'),
      param(ctxForTime, 'time.linear2.bias'),
    );
    // Every residual block starts its embedding projection with SiLU; compute it once.
    const ctx: ForwardContext<T> = { ...partial, embAct: ops.silu(emb) };

    let h = conv(ctx, x, plan.stem.prefix);
    const skips: T[] = [h];
    for (const stage of plan.input) {
      for (const layer of stage) h = applyLayer(ctx, h, layer);
      skips.push(h);
    }
    for (const layer of plan.middle) h = applyLayer(ctx, h, layer);
    for (const stage of plan.output) {
      h = ops.concatChannels([h, skips.pop()!]);
      for (const layer of stage) h = applyLayer(ctx, h, layer);
    }
    h = ops.silu(norm(ctx, h, 'out.norm', plan.finalChannels));
    return conv(ctx, h, 'out.conv');
  }
}

/**
 * Creates the UNet architecture. Parameters live outside the network: create them with
 * `initParams(ops, unet.paramSpecs, random)` and pass them to `forward`.
 *
 * @example
 * ```ts
 * const unet = createUNet({ inChannels: 2 });
 * console.log(unet.numParameters); // 1623746
 * ```
 */
export function createUNet(config: UNetConfig = {}): UNet {
  return new UNetImpl(resolveUNetConfig(config));
}

/** Parameter count of a UNet config without building tensors. */
export function unetParameterCount(config: UNetConfig = {}): number {
  return createUNet(config).numParameters;
}
