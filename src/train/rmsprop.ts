/**
 * RMSprop with PyTorch's update rule (α 0.99, ε added outside the square root, no momentum), the optimizer of
 * the original WGAN, with its state exposed like Adam's so checkpoints restore it exactly.
 *   v ← α·v + (1−α)·g²;  p ← p − lr · g / (sqrt(v) + ε)
 */
import * as tf from '@tensorflow/tfjs';

export interface RmspropOptions {
  lr: number;
  epsilon: number;
  alpha?: number;
}

export class Rmsprop extends tf.Optimizer {
  static readonly className = 'GantryRmsprop';
  /** Checkpoint names of the per-variable state, in the order `state` returns it. */
  readonly slotNames = ['rmsprop.v'];

  step = 0;
  private readonly squares = new Map<string, tf.Variable>();

  constructor(readonly options: RmspropOptions) {
    super();
  }

  override applyGradients(gradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(gradients)
      ? gradients
      : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    this.step += 1;
    const { lr, epsilon } = this.options;
    const alpha = this.options.alpha ?? 0.99;
    for (const { name, tensor: g } of list) {
      if (g == null) continue;
      const variable = tf.engine().registeredVariables[name];
      const square = this.slot(name, variable);
      tf.tidy(() => {
        const v = tf.add(tf.mul(square, alpha), tf.mul(tf.square(g), 1 - alpha));
        square.assign(v);
        variable.assign(tf.sub(variable, tf.mul(tf.div(g, tf.add(tf.sqrt(v), epsilon)), lr)));
      });
    }
  }

  /** Running mean squares in the order of `variables`, created as zeros if missing. */
  state(variables: tf.Variable[]): tf.Variable[] {
    return variables.map((v) => this.slot(v.name, v));
  }

  override dispose(): void {
    tf.dispose([...this.squares.values()]);
    this.squares.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.options };
  }

  private slot(name: string, variable: tf.Variable): tf.Variable {
    let s = this.squares.get(name);
    if (s == null) {
      const zeros = tf.zerosLike(variable);
      s = tf.variable(zeros, false);
      zeros.dispose();
      this.squares.set(name, s);
    }
    return s;
  }
}
