/**
 * Adam with PyTorch's update rule and an exactly restorable state. tfjs's own Adam recomputes its
 * β-powers with `pow` when weights are restored, so a resumed run drifts from an uninterrupted one by a
 * rounding error; here the bias corrections are computed in float64 from the step count alone.
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε)
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_KERNEL } from '../util/kernel_names.js';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class Adam extends tf.Optimizer {
  static readonly className = 'GantryAdam';
  /** Checkpoint names of the per-variable state, in the order `state` returns it. */
  readonly slotNames = ['adam.m', 'adam.v'];

  step = 0;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(readonly options: AdamOptions) {
    super();
  }

  override applyGradients(gradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(gradients)
      ? gradients
      : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    this.step += 1;
    const { lr, beta1, beta2, epsilon } = this.options;
    const stepSize = lr / (1 - beta1 ** this.step);
    const sqrtCorrection2 = Math.sqrt(1 - beta2 ** this.step);
    // The native backend updates each variable in one pass, to the same bits (backend/dnnl_kernels.ts).
    const fused = tf.getKernel(ADAM_KERNEL, tf.getBackend()) != null;
    const scalars = [beta1, 1 - beta1, beta2, 1 - beta2, sqrtCorrection2, epsilon, stepSize];
    for (const { name, tensor: g } of list) {
      if (g == null) continue;
      const variable = tf.engine().registeredVariables[name];
      const s = this.slots(name, variable);
      if (fused) {
        const [p, m, v] = tf
          .engine()
          .runKernel(ADAM_KERNEL, { p: variable, m: s.m, v: s.v, g }, { scalars }) as tf.Tensor[];
        s.m.assign(m);
        s.v.assign(v);
        variable.assign(p);
        tf.dispose([p, m, v]);
        continue;
      }
      tf.tidy(() => {
        const m = tf.add(tf.mul(s.m, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(s.v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtCorrection2), epsilon);
        s.m.assign(m);
        s.v.assign(v);
        variable.assign(tf.sub(variable, tf.mul(tf.div(m, denom), stepSize)));
      });
    }
  }

  /** Moment estimates in the order of `variables`, created as zeros if missing. */
  state(variables: tf.Variable[]): tf.Variable[] {
    return variables.flatMap((v) => {
      const s = this.slots(v.name, v);
      return [s.m, s.v];
    });
  }

  override dispose(): void {
    for (const s of this.moments.values()) tf.dispose([s.m, s.v]);
    this.moments.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.options };
  }

  private slots(name: string, variable: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let s = this.moments.get(name);
    if (s == null) {
      s = { m: zerosVariable(variable), v: zerosVariable(variable) };
      this.moments.set(name, s);
    }
    return s;
  }
}

function zerosVariable(like: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(like);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}
