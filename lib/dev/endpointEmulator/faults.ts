import * as z from 'zod';

/** Faults the local endpoint emulator injects; set them at start or with `PUT /_emulator/faults`. */
export const faultsSchema = z.strictObject({
  /** Fail this many calls (counted from the last reset) with `unavailableStatus`. */
  unavailableFirstCalls: z.number().int().min(0).default(0),
  /** Fail this share of calls (0-1) with `unavailableStatus`; 1 makes the endpoint permanently unavailable. */
  unavailableRate: z.number().min(0).max(1).default(0),
  /** 503 ServiceUnavailable or 429 ModelNotReadyException. */
  unavailableStatus: z.union([z.literal(503), z.literal(429)]).default(503),
  /**
   * A batch holding an item whose JSON text contains this marker fails as a whole with a
   * ModelError carrying `poisonStatus`, as a real container failing on one bad input does.
   */
  poisonMarker: z.string().min(1).optional(),
  /**
   * The container's status for a poison batch: 400 for a container that validates its
   * input, 500 for AWS's inference toolkits, which answer an unexpected exception with 500.
   */
  poisonStatus: z.number().int().min(400).max(599).default(400),
  /**
   * A batch of more than this many items is never answered (a batch too large for the
   * model's memory or time limit): the caller's call timeout must split it.
   */
  hangAboveItems: z.number().int().min(1).optional(),
  /**
   * Endpoint names that exist; a call to any other name is refused the way SageMaker
   * refuses a missing endpoint (400 ValidationError "Endpoint ... not found"). Unset:
   * every name is served.
   */
  endpointNames: z.array(z.string().min(1)).optional(),
  /** A batch holding an item whose JSON text contains this marker is answered with one output too few. */
  shortAnswerMarker: z.string().min(1).optional(),
  /** Simulated service time of a call: `latencyBaseMs + latencyPerItemMs x items`. */
  latencyBaseMs: z.number().min(0).default(0),
  latencyPerItemMs: z.number().min(0).default(0),
});

/** Fault settings, every field filled in. */
export type Faults = z.infer<typeof faultsSchema>;

/** Fault settings as given (every field optional). */
export type FaultsInput = z.input<typeof faultsSchema>;
