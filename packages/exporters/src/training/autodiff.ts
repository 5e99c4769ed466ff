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
import { attrFloat, type IrGraph, type IrNode, sameShape } from './ir.js';

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
  const uses = new Map<string, number>();
  for (const node of forward) for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of g.outputs) uses.set(o, (uses.get(o) ?? 0) + 1);
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
    const fused = groupNormGrad(g, node, dOut, producers, uses);
    if (fused) {
      for (const [value, grad] of fused) if (requires.has(value)) push(value, grad);
      continue;
    }
    const grads = siluGrad(g, node, dOut, producers) ?? rule(g, node, dOut, needs, options);
    node.inputs.forEach((input, k) => {
      const grad = grads[k];
      if (grad !== undefined && needs[k]) push(input, grad);
    });
  }
  return wrt.map((w) => gradOf(w) ?? g.zeros(g.shape(w)));
}

/**
 * SiLU `y = x · s`, `s = sigmoid(x)` (traced as `Mul(x, Sigmoid(x))`): `dx = dy · (s + y · (1 − s))`, four
 * elementwise ops reusing the forward output, instead of two gradient paths into x and their sum. Returns
 * undefined for any other node.
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
  const y = node.outputs[0];
  const oneMinusS = g.sub(g.f32([1], []), s);
  const dx = g.mul(dOut[0], g.add(s, g.mul(y, oneMinusS)));
  const out: (string | undefined)[] = [undefined, undefined];
  out[1 - sIndex] = dx;
  return out;
}

/**
 * GroupNorm as traced (`Reshape → LayerNormalization → Reshape → Mul(γ) → Add(β)`), differentiated as one
 * op at its final `Add`: per-channel sums `A = Σ_hw dz·ŷ`, `B = Σ_hw dz` give dγ, dβ and the group means the
 * normalisation's gradient needs, so
 * `dx = invStd · (γ·dz − mean_g(γ·dz) − ŷ · mean_g(γ·dz·ŷ))` takes seven full-size passes instead of eleven.
 * Returns the gradients of the chain's inputs (the grouped input, γ and β as the chain uses them), or
 * undefined when `node` does not end such a chain or an intermediate value is used elsewhere.
 */
function groupNormGrad(
  g: IrGraph,
  node: IrNode,
  dOut: readonly (string | undefined)[],
  producers: ReadonlyMap<string, IrNode>,
  uses: ReadonlyMap<string, number>,
): Map<string, string> | undefined {
  const dz = dOut[0];
  if (node.op !== 'Add' || dz === undefined) return undefined;
  const onlyUse = (v: string) => uses.get(v) === 1;
  for (const [m, beta] of [node.inputs, [...node.inputs].reverse()]) {
    const mul = producers.get(m);
    if (mul?.op !== 'Mul' || !onlyUse(m)) continue;
    for (const [back, gamma] of [mul.inputs, [...mul.inputs].reverse()]) {
      const unreshape = producers.get(back);
      const ln = unreshape?.op === 'Reshape' ? producers.get(unreshape.inputs[0]) : undefined;
      if (!unreshape || !ln || ln.op !== 'LayerNormalization' || !onlyUse(back)) continue;
      const [normed, , invStd] = ln.outputs;
      if (!invStd || !onlyUse(normed) || (uses.get(invStd) ?? 0) > 0) continue;
      const shape = g.shape(back);
      const [n, c, h, w] = shape;
      const [, groups, length] = g.shape(normed);
      const perChannel = [c, 1, 1];
      if (
        shape.length !== 4 ||
        !sameShape(g.shape(gamma), perChannel) ||
        !sameShape(g.shape(beta), perChannel)
      )
        continue;
      if (!sameShape(g.shape(dz), shape) || length !== (c / groups) * h * w) continue;
      return groupNormBackward(g, {
        dz,
        normed: back,
        gamma,
        invStd,
        n,
        c,
        groups,
        spatial: h * w,
        ln,
        beta,
      });
    }
  }
  return undefined;
}

function groupNormBackward(
  g: IrGraph,
  p: {
    dz: string;
    normed: string;
    gamma: string;
    beta: string;
    invStd: string;
    ln: IrNode;
    n: number;
    c: number;
    groups: number;
    spatial: number;
  },
): Map<string, string> {
  const { dz, normed, gamma, invStd, n, c, groups, spatial } = p;
  const perGroup = c / groups;
  const a = g.reduceSum(g.mul(dz, normed), [2, 3], true); // [n, c, 1, 1]
  const b = g.reduceSum(dz, [2, 3], true);
  // Group means of γ·dz·ŷ and γ·dz, over the group's channels and pixels.
  const groupMean = (perSample: string) =>
    g.scale(
      g.reduceSum(g.reshape(g.mul(perSample, gamma), [n, groups, perGroup]), [2], true),
      1 / (perGroup * spatial),
    );
  const toChannels = (v: string) =>
    g.reshape(g.op('Expand', [v, g.i64([n, groups, perGroup])], [n, groups, perGroup]), [n, c, 1, 1]);
  const k1 = g.mul(toChannels(invStd), gamma);
  const k2 = toChannels(g.mul(invStd, groupMean(a)));
  const k3 = toChannels(g.mul(invStd, groupMean(b)));
  const dx = g.sub(g.sub(g.mul(dz, k1), g.mul(normed, k2)), k3);
  return new Map([
    [p.ln.inputs[0], g.reshape(dx, g.shape(p.ln.inputs[0]))],
    [gamma, g.reshape(g.reduceSum(a, [0], false), [c, 1, 1])],
    [p.beta, g.reshape(g.reduceSum(b, [0], false), [c, 1, 1])],
  ]);
}
