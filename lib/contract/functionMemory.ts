/**
 * How a function's memory size sets its duration and its bill, and the sizes sagebatch
 * chooses by default.
 *
 * "Lambda allocates CPU power in proportion to the amount of memory configured [...] At
 * 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of credits per
 * second)" (AWS Lambda Developer Guide, "Configure Lambda function memory",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Lambda bills
 * GB-seconds of the invocation's whole duration, waiting included
 * (https://aws.amazon.com/lambda/pricing/).
 *
 * The model, per invocation: `duration(M) = wait + cpu x max(1, 1769 / M)`, where `cpu` is
 * the handler's CPU time at one full vCPU and `wait` the rest of its wall time (the model
 * calls, DynamoDB, SQS). Its assumptions: below 1,769 MB CPU time stretches in inverse
 * proportion to memory (the guide's proportional allocation), above it one thread gains
 * nothing (the handler is single-threaded JavaScript), and the wait does not depend on
 * memory (network bandwidth does scale with memory on Lambda, but the wait here is the
 * endpoint computing, not bytes moving). No emulator enforces the allocation locally, so
 * `cpu` and `wait` come from measurements (`npm run bench:handler`, the benchmark's
 * pipeline run), not from running at each size.
 *
 * Below 1,769 MB, GB-s = (wait x M + cpu x 1769) / 1024: the CPU's share costs the same at
 * any size and the wait's share falls with memory, so a function that mostly waits is
 * cheapest at the smallest size its memory needs allow. What stops the descent is latency:
 * the stretched CPU time adds to every invocation (and to each cold start's import).
 */

/** Memory at which a function gets one vCPU's worth of CPU, MB. */
export const oneVcpuMemoryMb = 1_769;

/** Lambda's memory bounds, MB (the same page: 128 to 10,240 MB in 1-MB increments). */
export const lambdaMemoryBoundsMb = { min: 128, max: 10_240 } as const;

/** Sizes the tuner and the benchmark compare, MB. */
export const memoryCandidatesMb = [128, 256, 384, 512, 768, 1_024, 1_536, 1_769, 2_048] as const;

/** One invocation's time, split into what memory changes and what it does not. */
export interface InvocationProfile {
  /** The handler's CPU time at one full vCPU (1,769 MB or more), ms. */
  readonly cpuMs: number;
  /** The rest of the wall time: waiting on the endpoint, DynamoDB and SQS, ms. */
  readonly waitMs: number;
}

/** Duration of an invocation at `memoryMb`, ms, by the model above. */
export function durationMs(profile: InvocationProfile, memoryMb: number): number {
  return profile.waitMs + profile.cpuMs * Math.max(1, oneVcpuMemoryMb / memoryMb);
}

/** GB-seconds Lambda bills for an invocation at `memoryMb` (duration x memory / 1,024). */
export function gbSeconds(profile: InvocationProfile, memoryMb: number): number {
  return (durationMs(profile, memoryMb) / 1_000) * (memoryMb / 1_024);
}

/** What one memory size would do to an invocation. */
export interface MemoryOption {
  readonly memoryMb: number;
  readonly durationMs: number;
  readonly gbSeconds: number;
  /** Duration over the duration at one full vCPU, minus 1: 0.1 is 10% longer. */
  readonly slowdown: number;
}

/** What {@link recommendMemory} weighs besides the profile. */
export interface MemoryGoal {
  /** Smallest size the function's memory use allows (peak use plus headroom), MB. */
  readonly minMemoryMb: number;
  /**
   * Most an invocation may take longer than at one full vCPU, as a fraction: the latency
   * a smaller size may add. @default 0.25
   */
  readonly maxSlowdown?: number;
  /** Sizes to choose from. @default memoryCandidatesMb */
  readonly candidates?: readonly number[];
}

/** Every candidate size's duration, GB-s and slowdown, smallest size first. */
export function memoryOptions(
  profile: InvocationProfile,
  candidates: readonly number[] = memoryCandidatesMb,
): MemoryOption[] {
  const fastest = durationMs(profile, oneVcpuMemoryMb);
  return [...candidates]
    .sort((a, b) => a - b)
    .map((memoryMb) => {
      const duration = durationMs(profile, memoryMb);
      return {
        memoryMb,
        durationMs: duration,
        gbSeconds: gbSeconds(profile, memoryMb),
        slowdown: fastest > 0 ? duration / fastest - 1 : 0,
      };
    });
}

/**
 * The cheapest size (fewest GB-s) among the candidates at or above `minMemoryMb` that
 * keeps an invocation within `maxSlowdown` of its duration at one full vCPU; the largest
 * candidate when none does (the CPU is the bottleneck at every size).
 */
export function recommendMemory(profile: InvocationProfile, goal: MemoryGoal): MemoryOption {
  const maxSlowdown = goal.maxSlowdown ?? 0.25;
  const options = memoryOptions(profile, goal.candidates).filter(
    (o) => o.memoryMb >= goal.minMemoryMb,
  );
  if (options.length === 0) {
    throw new RangeError(`no candidate memory size is at least ${goal.minMemoryMb} MB`);
  }
  const within = options.filter((o) => o.slowdown <= maxSlowdown);
  if (within.length === 0) return options.at(-1)!;
  return within.reduce((best, o) => (o.gbSeconds < best.gbSeconds ? o : best));
}

/**
 * The batcher's CPU per request at one full vCPU, µs: `npm run bench:handler` (10,000
 * records of ~1 KB, the handler with in-process fakes for the AWS clients) measured 20 to
 * 45 µs on a shared 2-vCPU AMD EPYC (2026-12-02); this is the upper end, doubled for what
 * the fakes leave out (the SDK's marshalling, signing and HTTP on AWS). The tuner prices
 * an invocation's CPU with it.
 */
export const batcherCpuMicrosPerRequest = 90;

/**
 * Smallest batcher size its memory use allows, MB. Measured: the bundle imported in a
 * fresh Node process holds 55 MiB (`npm run bench:cold-start`), and the handler's rounds of
 * 9 MiB events (more than the 6 MB an invocation's payload can be) raised the peak by
 * 57 MiB (`npm run bench:handler`): about 112 MiB, too close to 128 for a function that
 * must never run out of memory mid-save, half of 256.
 */
export const batcherMinMemoryMb = 256;

/**
 * The batcher's default memory, MB: {@link recommendMemory} at the benchmark's measured
 * invocation (1,000 requests of all-MiniLM-L6-v2 on CPU: 9.7 s of wall time, about 90 ms of
 * it the handler's CPU) gives the smallest size its memory allows, 256 MB (about 5% slower than
 * at one vCPU, a quarter of the GB-s at 1,024 MB). A test keeps this constant and that
 * recommendation in step.
 */
export const defaultBatcherMemoryMb = 256;

/**
 * The finalizer's memory, MB. It sees only requests redriven off the queue, so it runs
 * cold most of the time, and its cold start is CPU (importing a 517 KB bundle: 0.4 s at one
 * vCPU, measured): GB-s are the same at 128 and 256 MB below one vCPU, and 256 MB halves
 * the cold start. Its bundle holds 53 MiB after import, also too close to 128.
 */
export const defaultFinalizerMemoryMb = 256;
