/**
 * @file Types shared by every conditioning-mask plugin.
 *
 * A mask plugin turns class labels into dense class-conditioning masks (NHWC `Float32Array`s of the image's
 * spatial size) and turns a predicted mask back into per-class distances and labels.
 */

/** Spatial size of a mask. The batch size is inferred from the data length. */
export interface MaskSize {
  /** Mask height in pixels (a positive integer). */
  height: number;
  /** Mask width in pixels (a positive integer). */
  width: number;
}

/**
 * Shape of a predicted mask: either its spatial size, or the full NHWC shape `[n, height, width, channels]`
 * (the channel count must then equal the plugin's `channels`).
 */
export type MaskShape = MaskSize | readonly [n: number, height: number, width: number, channels: number];

/** Arguments of {@link MaskPlugin.encode}. */
export interface EncodeOptions extends MaskSize {
  /**
   * Uniform random numbers in [0, 1) for the dequantisation noise. The plugin draws exactly one number per
   * mask element, in NHWC order, so a seeded generator reproduces a mask exactly. Pass `() => 0.5` for
   * noise-free masks.
   */
  random: () => number;
}

/** Serialisable description of a plugin: what `toJSON()` returns and what a model config stores. */
export interface MaskPluginConfig<
  Name extends string = string,
  Options extends object = Record<string, unknown>,
> {
  /** Registered plugin name, e.g. `'rgb-palette'`. */
  name: Name;
  /** Plugin options; missing fields take the plugin's defaults. */
  options?: Partial<Options>;
  /**
   * npm package the plugin was loaded from (third-party plugins only). `restoreMaskPlugin` loads it when the
   * name is not registered yet.
   */
  package?: string;
}

/** A ready-to-use mask plugin for a fixed number of classes. Create one with `createMaskPlugin`. */
export interface MaskPlugin<Name extends string = string, Options extends object = Record<string, unknown>> {
  /** Registered plugin name. */
  readonly name: Name;
  /** Number of classes this instance encodes. */
  readonly numClasses: number;
  /** Number of mask channels (3 for `rgb-palette`, 1 for `scalar`). */
  readonly channels: number;
  /** The resolved options (defaults filled in). Frozen. */
  readonly options: Readonly<Options>;
  /**
   * Encode class labels as noisy masks.
   * @param labels - one integer label in [0, numClasses) per image.
   * @returns a `Float32Array` of shape `[labels.length, height, width, channels]` (NHWC).
   */
  encode(labels: ArrayLike<number>, options: EncodeOptions): Float32Array;
  /** The noise-free mask value of every class, shape `[numClasses, channels]`. A fresh copy on every call. */
  classTargets(): Float32Array;
  /**
   * Per-class distances of predicted masks.
   * @param predictedMask - NHWC masks, `n * height * width * channels` values.
   * @returns a `Float32Array` of shape `[n, numClasses]`: for the built-in plugins the mean over pixels of
   *   the L2 distance between the pixel's channel vector and the class target.
   * @throws RangeError when the mask contains NaN or ±Infinity, or its length does not match the shape.
   */
  distances(predictedMask: ArrayLike<number>, shape: MaskShape): Float32Array;
  /**
   * Labels from distances: the argmin of each row. Ties go to the lowest class index.
   * @param distances - shape `[n, numClasses]`.
   * @returns an `Int32Array` of `n` labels.
   */
  predict(distances: ArrayLike<number>): Int32Array;
  /** `{ name, options }` (and `package` for third-party plugins), restorable with `createMaskPlugin`. */
  toJSON(): MaskPluginConfig<Name, Options> & { options: Options };
}

/** What a plugin definition's `setup` returns: the numbers that describe the plugin for `numClasses`. */
export interface MaskPluginSetup {
  /** Number of mask channels. */
  channels: number;
  /** Noise-free class values, shape `[numClasses, channels]`. */
  targets: ArrayLike<number>;
  /**
   * Full width of the uniform dequantisation noise added to every mask element by the default `encode`:
   * `value = target + noiseWidth * (U - 0.5)` with U ~ U[0, 1).
   * @defaultValue 0
   */
  noiseWidth?: number;
  /**
   * Custom encoder (replaces the default "target plus uniform noise"). Labels are already validated.
   * Must return `labels.length * height * width * channels` values in NHWC order.
   */
  encode?(labels: Int32Array, options: EncodeOptions): Float32Array;
  /**
   * Custom distances (replaces the default mean per-pixel L2 distance to `targets`). The mask is already
   * checked for length and non-finite values. Must return `n * numClasses` values.
   */
  distances?(predictedMask: ArrayLike<number>, size: MaskSize & { n: number }): Float32Array;
}

/**
 * A mask plugin definition: a plain typed object registered by name. Build one with `defineMaskPlugin`.
 *
 * A third-party plugin package default-exports one of these (see `loadMaskPlugin`).
 */
export interface MaskPluginDefinition<
  Name extends string = string,
  Options extends object = Record<string, unknown>,
> {
  /** Unique name, lower-case kebab-case (`'rgb-palette'`). */
  readonly name: Name;
  /** One line that says what the plugin does. */
  readonly description: string;
  /** Default value of every option. The keys are the only options accepted. */
  readonly defaults: Readonly<Options>;
  /** npm package the definition was loaded from; set by `loadMaskPlugin`. */
  readonly package?: string;
  /**
   * Check resolved options (defaults already filled in) for `numClasses` classes; throw a `TypeError` or
   * `RangeError` that quotes the bad value and gives the fix.
   */
  validate?(options: Readonly<Options>, numClasses: number): void;
  /** Compute the plugin's numbers for `numClasses` classes and validated options. */
  setup(numClasses: number, options: Readonly<Options>): MaskPluginSetup;
}
