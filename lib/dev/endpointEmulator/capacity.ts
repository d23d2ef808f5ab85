import * as z from 'zod';

/**
 * SageMaker Runtime's exact answer to InvokeEndpoint for an inference component with no
 * copy: `ValidationError`, HTTP 400, this message (AWS Machine Learning Blog, "Unlock cost
 * savings with the new scale down to zero feature in SageMaker Inference", 2024-12-03,
 * https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-sagemaker-inference/).
 */
export const noCapacityMessage =
  'Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.';

/** The emulator's capacity, as `PUT /_emulator/capacity` sets it. */
export const capacitySchema = z.strictObject({
  /** Copies of the model wanted: 0 (scaled to zero) or 1. */
  copies: z.number().int().min(0).max(1),
  /** Time a copy takes to start once asked for, ms (an instance start on AWS: minutes). */
  startupMs: z.number().int().min(0).max(3_600_000).optional(),
});

/** Input of {@link capacitySchema}. */
export type CapacityInput = z.input<typeof capacitySchema>;

/** What {@link Capacity.state} reports. */
export interface CapacityState {
  /** Copies serving now. */
  readonly copies: 0 | 1;
  /** Copies wanted. */
  readonly desired: 0 | 1;
  /** Epoch ms at which a starting copy serves, while one is starting. */
  readonly readyAt?: number;
}

/**
 * The capacity switch of the endpoint emulator: a model copy that can be at zero, asked to
 * start, and serve only after a start-up delay, like an inference component scaled to zero
 * whose instance SageMaker is provisioning. Always up unless constructed at zero.
 */
export class Capacity {
  #desired: 0 | 1;
  #readyAt: number | undefined;
  #startupMs: number;
  readonly #now: () => number;

  constructor(
    options: { readonly atZero?: boolean; readonly startupMs?: number } = {},
    now: () => number = Date.now,
  ) {
    this.#desired = options.atZero ? 0 : 1;
    this.#startupMs = options.startupMs ?? 0;
    this.#now = now;
    this.#readyAt = options.atZero ? undefined : now();
  }

  /** Asks for `copies`: going to 1 starts a copy that serves after the start-up delay. */
  set(input: CapacityInput): CapacityState {
    const { copies, startupMs } = capacitySchema.parse(input);
    if (startupMs !== undefined) this.#startupMs = startupMs;
    if (copies === 0) {
      this.#desired = 0;
      this.#readyAt = undefined;
    } else if (this.#desired === 0) {
      this.#desired = 1;
      this.#readyAt = this.#now() + this.#startupMs;
    }
    return this.state();
  }

  /** True when a copy serves now. */
  get available(): boolean {
    return this.#readyAt !== undefined && this.#now() >= this.#readyAt;
  }

  state(): CapacityState {
    const copies = this.available ? 1 : 0;
    return {
      copies,
      desired: this.#desired,
      ...(this.#readyAt !== undefined && copies === 0 ? { readyAt: this.#readyAt } : {}),
    };
  }
}
