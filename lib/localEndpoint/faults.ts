import { z } from 'zod';

/** Faults the local endpoint emulator injects; set them at start or with `PUT /_emulator/faults`. */
export const faultsSchema = z.strictObject({
  /** Fail this many calls (counted from the last reset) with `transientStatus`. */
  transientFirstCalls: z.number().int().min(0).default(0),
  /** Fail this share of calls (0-1) with `transientStatus`; 1 makes the endpoint permanently unavailable. */
  transientRate: z.number().min(0).max(1).default(0),
  /** 503 ServiceUnavailable or 429 ModelNotReadyException. */
  transientStatus: z.union([z.literal(503), z.literal(429)]).default(503),
  /**
   * A batch holding an item whose JSON text contains this marker fails as a whole with a
   * 4xx ModelError, as a real container rejecting one bad input does.
   */
  poisonMarker: z.string().min(1).optional(),
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
