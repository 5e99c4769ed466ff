/**
 * @file Reverse-mode automatic differentiation of an {@link IrGraph}: appends the gradient nodes of a
 * scalar with respect to chosen inputs, in forward ONNX ops (see `grad-rules.ts`), so one ONNX Runtime
 * session computes the value and every gradient in a single run.
 *
 * Before differentiating, {@link prepareForTraining} rewrites the graph into a form whose gradients are
 * cheap: GroupNorm's `InstanceNormalization` becomes a `LayerNormalization` over the same axis, which also
 * outputs the mean and inverse standard deviation the backward pass needs.
 *
 * @module training/autodiff
 * @internal
 */
import { attr } from '../onnx/graph-builder.js';
import { GRAD_RULES, type GradRuleOptions } from './grad-rules.js';
import { attrFloat, type IrGraph, type IrNode } from './ir.js';

/** Rewrites `InstanceNormalization` (unit scale, zero bias, rank 3) into `LayerNormalization` with its statistics outputs. */
export function prepareForTraining(g: IrGraph): void {
  g.nodes = g.nodes.map((node): IrNode => {
    if (node.op !== 'InstanceNormalization') return node;
    const [x, scale, bias] = node.inputs;
    const shape = g.shape(x);
    const unit = g.values.get(scale)?.f32?.every((v) => v === 1);
    const zero = g.values.get(bias)?.f32?.every((v) => v === 0);
    if (shape.length !== 3 || !unit || !zero) return node;
    const length = shape[2];
    const stats = [shape[0], shape[1], 1];
    const mean = g.fresh('ln_mean');
    const invStd = g.fresh('ln_inv_std');
    g.values.set(mean, { shape: stats });
    g.values.set(invStd, { shape: stats });
    return {
      op: 'LayerNormalization',
      inputs: [
        x,
        g.f32(new Float32Array(length).fill(1), [length]),
        g.f32(new Float32Array(length), [length]),
      ],
      outputs: [node.outputs[0], mean, invStd],
      attrs: [attr.int('axis', -1), attr.float('epsilon', attrFloat(node, 'epsilon', 1e-5))],
    };
  });
}

/** Options of {@link differentiate}. */
export interface DifferentiateOptions extends GradRuleOptions {}

/**
 * Appends to `g` the gradient of the scalar `loss` with respect to each value of `wrt` (graph inputs) and
 * returns the gradient value names in `wrt` order. Inputs the loss does not depend on get zeros.
 *
 * @throws Error naming the op when a node on the path from `wrt` to `loss` has no gradient rule.
 */
export function differentiate(
  g: IrGraph,
  loss: string,
  wrt: readonly string[],
  options: DifferentiateOptions,
): string[] {
  const forward = [...g.nodes];
  const requires = new Set(wrt);
  for (const node of forward) {
    if (node.inputs.some((i) => requires.has(i))) for (const o of node.outputs) requires.add(o);
  }
  const producers = new Map<string, IrNode>();
  for (const node of forward) for (const o of node.outputs) producers.set(o, node);
  const contributions = new Map<string, string[]>();
  const total = new Map<string, string>();
  const push = (value: string, grad: string) => {
    if (total.has(value)) throw new Error(`Internal error: gradient of "${value}" used before complete.`);
    const list = contributions.get(value);
    if (list) list.push(grad);
    else contributions.set(value, [grad]);
  };
  const gradOf = (value: string): string | undefined => {
    const done = total.get(value);
    if (done) return done;
    const list = contributions.get(value);
    if (!list) return undefined;
    const sum = list.length === 1 ? list[0] : g.op('Sum', list, g.shape(value));
    total.set(value, sum);
    return sum;
  };
  push(loss, g.f32(new Float32Array(1).fill(1), g.shape(loss)));
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (!node.outputs.some((o) => contributions.has(o))) continue;
    const needs = node.inputs.map((input) => input !== '' && requires.has(input));
    if (!needs.some(Boolean)) continue;
    const rule = GRAD_RULES[node.op];
    if (!rule) {
      throw new Error(
        `No gradient rule for ONNX op ${node.op} (node output "${node.outputs[0]}"). ` +
          `Ops with rules: ${Object.keys(GRAD_RULES).join(', ')}.`,
      );
    }
    const dOut = node.outputs.map((o) => gradOf(o));
    const grads = siluGrad(g, node, dOut, producers) ?? rule(g, node, dOut, needs, options);
    node.inputs.forEach((input, k) => {
      const grad = grads[k];
      if (grad !== undefined && needs[k]) push(input, grad);
    });
  }
  return wrt.map((w) => gradOf(w) ?? g.zeros(g.shape(w)));
}

/**
 * SiLU `x · sigmoid(x)` (traced as `Mul(x, Sigmoid(x))`): `dx = dy · s · (1 + x · (1 − s))` in one chain
 * instead of two gradient paths into x and their sum. Returns undefined for any other node.
 */
function siluGrad(
  g: IrGraph,
  node: IrNode,
  dOut: readonly (string | undefined)[],
  producers: ReadonlyMap<string, IrNode>,
): (string | undefined)[] | undefined {
  if (node.op !== 'Mul' || dOut[0] === undefined) return undefined;
  const [a, b] = node.inputs;
  const sigmoidOf = (v: string) => {
    const p = producers.get(v);
    return p?.op === 'Sigmoid' ? p.inputs[0] : undefined;
  };
  const sIndex = sigmoidOf(b) === a ? 1 : sigmoidOf(a) === b ? 0 : -1;
  if (sIndex < 0) return undefined;
  const s = node.inputs[sIndex];
  const x = node.inputs[1 - sIndex];
  const oneMinusS = g.sub(g.f32([1], []), s);
  const inner = g.add(g.mul(x, oneMinusS), g.f32([1], []));
  const dx = g.mul(dOut[0], g.mul(s, inner));
  const out: (string | undefined)[] = [undefined, undefined];
  out[1 - sIndex] = dx;
  return out;
}
