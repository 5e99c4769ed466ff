/**
 * @file The trainer-state files of a checkpoint: everything besides the weights that a run needs to
 * continue exactly where it stopped.
 *
 * `trainer-state.json` holds the scalars (step, epoch position, PRNG state, best metric, the options
 * that must not change on resume) and a manifest of the binary arrays; `trainer-state.bin` holds the
 * arrays back to back (AdamW moments, EMA weights, the epoch's sample order), little-endian, with a
 * SHA-256 in the JSON so a truncated or corrupted file is reported instead of silently resumed.
 *
 * @module train/trainer-state
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** File names inside a checkpoint directory. */
export const TRAINER_STATE_JSON = 'trainer-state.json';
/** Binary companion of {@link TRAINER_STATE_JSON}. */
export const TRAINER_STATE_BIN = 'trainer-state.bin';
const FORMAT = 'medsymmflow-trainer-state';
const FORMAT_VERSION = 1;

/** One validation of a run (`balancedAccuracy` is missing in checkpoints written before it was recorded). */
export interface ValidationRecord {
  step: number;
  accuracy: number;
  balancedAccuracy?: number;
  /** Accuracy on a fixed subset of the training images (absent in checkpoints of older versions). */
  trainingAccuracy?: number;
  trainingBalancedAccuracy?: number;
  /**
   * Quadratic weighted kappa of the validation predictions, `null` when undefined (absent in checkpoints of
   * older versions).
   */
  quadraticWeightedKappa?: number | null;
}

/** What a checkpoint stores besides the raw weights. */
export interface TrainerState {
  /** Optimizer steps completed. */
  step: number;
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
  /** Sample order of `epoch`. */
  order: Int32Array;
  /** State of the datasets package's PRNG after the last completed step. */
  random: unknown;
  /** Best validation accuracy so far, or `null` before the first validation. */
  bestMetric: number | null;
  /** Step at which {@link bestMetric} was measured. */
  bestStep: number | null;
  /** Options that must be the same when resuming (batch size, schedule, seed, model, data…). */
  fingerprint: Record<string, unknown>;
  /** Loss of every step so far (index = step − 1). */
  losses: number[];
  /** Validation history. */
  validations: ValidationRecord[];
  /** AdamW bias-correction step. */
  optimizerStep: number;
  /** AdamW first moments. */
  m: Float32Array[];
  /** AdamW second moments. */
  v: Float32Array[];
  /** EMA weights. */
  ema: Float32Array[];
  /** Wall time spent training before this checkpoint, in ms (for throughput over resumes). */
  elapsedMs: number;
}

interface BufferEntry {
  name: string;
  dtype: 'float32' | 'int32';
  length: number;
  byteOffset: number;
}

interface StateJson extends Omit<TrainerState, 'order' | 'm' | 'v' | 'ema'> {
  format: typeof FORMAT;
  formatVersion: number;
  sha256: string;
  byteLength: number;
  buffers: BufferEntry[];
}

function collectBuffers(state: TrainerState): { name: string; data: Float32Array | Int32Array }[] {
  return [
    { name: 'order', data: state.order },
    ...state.m.map((data, i) => ({ name: `m/${i}`, data })),
    ...state.v.map((data, i) => ({ name: `v/${i}`, data })),
    ...state.ema.map((data, i) => ({ name: `ema/${i}`, data })),
  ];
}

/** Writes the trainer-state files into `dir` (the caller makes the directory atomic). */
export async function writeTrainerState(dir: string, state: TrainerState): Promise<void> {
  const buffers = collectBuffers(state);
  const byteLength = buffers.reduce((n, b) => n + b.data.byteLength, 0);
  const bin = new Uint8Array(byteLength);
  const entries: BufferEntry[] = [];
  let offset = 0;
  for (const { name, data } of buffers) {
    bin.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    entries.push({
      name,
      dtype: data instanceof Int32Array ? 'int32' : 'float32',
      length: data.length,
      byteOffset: offset,
    });
    offset += data.byteLength;
  }
  const { order: _order, m: _m, v: _v, ema: _ema, ...scalars } = state;
  const json: StateJson = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    ...scalars,
    sha256: createHash('sha256').update(bin).digest('hex'),
    byteLength,
    buffers: entries,
  };
  await writeFile(join(dir, TRAINER_STATE_BIN), bin);
  await writeFile(join(dir, TRAINER_STATE_JSON), `${JSON.stringify(json)}\n`);
}

function corrupt(dir: string, what: string, cause?: unknown): Error {
  return new Error(
    `The training checkpoint in ${dir} is corrupt: ${what}. Delete that folder and train without ` +
      '`resume` to start over, or resume from another output directory.',
    cause === undefined ? undefined : { cause },
  );
}

/** Reads and checks the trainer-state files of `dir`. Throws a clear error when they are missing or corrupt. */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const jsonPath = join(dir, TRAINER_STATE_JSON);
  const binPath = join(dir, TRAINER_STATE_BIN);
  if (!existsSync(jsonPath) || !existsSync(binPath)) {
    const missing = [jsonPath, binPath].filter((p) => !existsSync(p)).join(' and ');
    throw corrupt(dir, `${missing} ${missing.includes(' and ') ? 'are' : 'is'} missing`);
  }
  let json: StateJson;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as StateJson;
  } catch (error) {
    throw corrupt(dir, `${TRAINER_STATE_JSON} is not valid JSON`, error);
  }
  if (json === null || typeof json !== 'object' || json.format !== FORMAT) {
    throw corrupt(dir, `${TRAINER_STATE_JSON} is not a MedSymmFlow trainer state (format "${FORMAT}")`);
  }
  if (json.formatVersion !== FORMAT_VERSION) {
    throw new Error(
      `The training checkpoint in ${dir} has trainer-state format version ${String(json.formatVersion)}; ` +
        `this version of @medsymmflow/core-flow reads version ${FORMAT_VERSION}. Resume it with the ` +
        'version that wrote it, or start a new run.',
    );
  }
  const bytes = await readFile(binPath);
  if (bytes.byteLength !== json.byteLength) {
    throw corrupt(dir, `${TRAINER_STATE_BIN} has ${bytes.byteLength} bytes, expected ${json.byteLength}`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== json.sha256) {
    throw corrupt(
      dir,
      `${TRAINER_STATE_BIN} fails its SHA-256 check (got ${digest}, expected ${json.sha256})`,
    );
  }
  // Copy into an aligned buffer so typed-array views can start at any multiple of 4.
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  const arrays = new Map<string, Float32Array | Int32Array>();
  for (const entry of json.buffers) {
    const Ctor = entry.dtype === 'int32' ? Int32Array : Float32Array;
    if (entry.byteOffset + entry.length * 4 > aligned.byteLength || entry.byteOffset % 4 !== 0) {
      throw corrupt(dir, `buffer "${entry.name}" lies outside ${TRAINER_STATE_BIN}`);
    }
    arrays.set(entry.name, new Ctor(aligned.buffer, entry.byteOffset, entry.length));
  }
  const series = (prefix: string): Float32Array[] => {
    const out: Float32Array[] = [];
    for (let i = 0; arrays.has(`${prefix}/${i}`); i++) out.push(arrays.get(`${prefix}/${i}`) as Float32Array);
    return out;
  };
  const order = arrays.get('order');
  if (!(order instanceof Int32Array)) throw corrupt(dir, 'the sample order is missing');
  const { format: _f, formatVersion: _fv, sha256: _s, byteLength: _b, buffers: _buffers, ...scalars } = json;
  return { ...scalars, order, m: series('m'), v: series('v'), ema: series('ema') };
}
