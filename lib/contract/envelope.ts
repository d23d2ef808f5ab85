import * as z from 'zod';
import { ErrorCode, type ErrorInfo, errorInfo } from './errorCodes.js';
import { type JobRef, jobIdPattern } from './job.js';
import { rawMember } from './jsonText.js';

/** A validated request, ready to be planned into a model batch. */
export interface InferenceRequest {
  /** Result key: the envelope's `id`, else the SQS message id. */
  readonly id: string;
  /** The item the model sees: the body's own JSON text for `input`, compacted, never reserialized. */
  readonly inputJson: string;
  /** UTF-8 byte length of {@link inputJson}. */
  readonly inputBytes: number;
  /** Epoch ms after which the request must not be sent to the model. */
  readonly deadline: number | undefined;
  /** The job and line the request belongs to (`sagebatch job submit`), copied to its row. */
  readonly job?: JobRef | undefined;
}

/** The outcome of reading one SQS body. */
export type EnvelopeResult =
  | { readonly ok: true; readonly request: InferenceRequest }
  | {
      readonly ok: false;
      readonly id: string;
      readonly error: ErrorInfo;
      /** The body's job, when its `jobId` and `jobLine` are valid: the FAILED row still counts in the job. */
      readonly job?: JobRef | undefined;
    };

/** Options of {@link parseEnvelope}. */
export interface EnvelopeOptions {
  /** Largest accepted input, in UTF-8 bytes of its JSON text. */
  readonly maxInputBytes: number;
  /** Current time, epoch ms (deadline check). */
  readonly now: number;
}

/** Pattern of a request id (also what an SQS message id looks like). */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,256}$/;

/** The envelope's schema: what {@link parseEnvelope} accepts, and the messages it gives. */
export const envelopeSchema = z.strictObject({
  id: z
    .string({ error: 'id must be a string' })
    .regex(requestIdPattern, { error: 'id must be 1-256 characters of A-Z a-z 0-9 . _ : -' })
    .optional(),
  input: z.unknown().refine((value) => value !== undefined, { error: 'input is required' }),
  deadline: z
    .number({ error: 'deadline must be a number (epoch milliseconds)' })
    .int({ error: 'deadline must be an integer (epoch milliseconds)' })
    .positive({ error: 'deadline must be positive (epoch milliseconds)' })
    .optional(),
  jobId: z
    .string({ error: 'jobId must be a string' })
    .regex(jobIdPattern, { error: 'jobId must be 1-128 characters of A-Z a-z 0-9 . _ -' })
    .optional(),
  jobLine: z
    .number({ error: 'jobLine must be a number' })
    .int({ error: 'jobLine must be an integer' })
    .positive({ error: 'jobLine must be positive (1-based line number)' })
    .optional(),
});

const invalid = (id: string, message: string, job?: JobRef): EnvelopeResult => ({
  ok: false,
  id,
  error: errorInfo(ErrorCode.INVALID_REQUEST, message),
  ...(job ? { job } : {}),
});

/**
 * The body's job, when both members are valid: read on failures too, so a job's invalid or
 * expired request still lands in the job's counts.
 */
function jobOf(json: Record<string, unknown>): JobRef | undefined {
  const { jobId, jobLine } = json;
  return typeof jobId === 'string' &&
    jobIdPattern.test(jobId) &&
    typeof jobLine === 'number' &&
    Number.isSafeInteger(jobLine) &&
    jobLine > 0
    ? { jobId, jobLine }
    : undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The members of an envelope that is plainly valid (only known keys, an `input`, a
 * well-formed `id`, a positive safe-integer `deadline`, a well-formed `jobId` and `jobLine`
 * together or neither), read without the schema; undefined
 * for anything else, which the schema then judges and explains. Every envelope accepted
 * here the schema accepts too (a property test checks it): zod's safeParse cost more than
 * JSON.parse of the whole body, on every request.
 */
export function plainlyValid(json: Record<string, unknown>):
  | {
      readonly id: string | undefined;
      readonly deadline: number | undefined;
      readonly job: JobRef | undefined;
    }
  | undefined {
  for (const key in json)
    if (
      key !== 'id' &&
      key !== 'input' &&
      key !== 'deadline' &&
      key !== 'jobId' &&
      key !== 'jobLine'
    )
      return;
  const { id, input, deadline, jobId, jobLine } = json;
  if (input === undefined) return;
  if (id !== undefined && (typeof id !== 'string' || !requestIdPattern.test(id))) return;
  if (deadline !== undefined && !(Number.isSafeInteger(deadline) && (deadline as number) > 0))
    return;
  if (jobId === undefined && jobLine === undefined)
    return { id, deadline: deadline as number | undefined, job: undefined };
  const job = jobOf(json);
  // A job member alone or malformed: the schema explains it.
  if (job === undefined) return;
  return { id, deadline: deadline as number | undefined, job };
}

/**
 * The job of a body that may be anything (the finalizer reads bodies SQS moved by itself):
 * its `jobId` and `jobLine` when both are valid, else undefined. Never throws.
 */
export function jobOfBody(body: string): JobRef | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return isPlainObject(json) ? jobOf(json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses and validates one request body: `{ "id"?: string, "input": any, "deadline"?: epoch ms,
 * "jobId"?: string, "jobLine"?: int }` (the job members come together, from `job submit`).
 *
 * Never throws, for any body SQS can carry: a bad body is an `INVALID_REQUEST`, a past
 * deadline `EXPIRED`, each with a message that says what to fix. The result is keyed by the
 * envelope's id when it is valid, else by `fallbackId` (the SQS message id, or the id a
 * requeued message carries). The input reaches the model as the exact JSON text sent
 * (numbers beyond double precision included); nothing here recurses into it, so depth is
 * no hazard.
 *
 * @example
 * ```ts
 * const r = parseEnvelope('{"input":"hello"}', 'msg-1', { maxInputBytes: 1024, now: Date.now() });
 * if (r.ok) console.log(r.request.id); // "msg-1"
 * ```
 */
export function parseEnvelope(
  body: string,
  fallbackId: string,
  options: EnvelopeOptions,
): EnvelopeResult {
  let json: unknown;
  try {
    json = JSON.parse(body); // V8's JSON parser is iterative: any depth is safe here
  } catch {
    return invalid(fallbackId, 'body is not valid JSON; send {"input": ...}');
  }
  if (!isPlainObject(json)) return invalid(fallbackId, 'body must be a JSON object {"input": ...}');
  // The schema looks at the top-level members only; it never walks into `input`.
  let members = plainlyValid(json);
  if (members === undefined) {
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) {
      const rawId = json.id;
      const id = typeof rawId === 'string' && requestIdPattern.test(rawId) ? rawId : fallbackId;
      // Every issue, so a misspelt field shows as both "input is required" and the stray key.
      return invalid(id, parsed.error.issues.map((issue) => issue.message).join('; '), jobOf(json));
    }
    const { jobId, jobLine } = parsed.data;
    if ((jobId === undefined) !== (jobLine === undefined))
      return invalid(
        parsed.data.id ?? fallbackId,
        'jobId and jobLine go together: give both or neither',
      );
    members = {
      id: parsed.data.id,
      deadline: parsed.data.deadline,
      job: jobId !== undefined && jobLine !== undefined ? { jobId, jobLine } : undefined,
    };
  }
  const { id = fallbackId, deadline, job } = members;
  const inputJson = rawMember(body, 'input') ?? 'null';
  const inputBytes = Buffer.byteLength(inputJson);
  if (inputBytes > options.maxInputBytes) {
    return invalid(
      id,
      `input is ${inputBytes} bytes; the limit is ${options.maxInputBytes} (MAX_INPUT_BYTES)`,
      job,
    );
  }
  if (deadline !== undefined && deadline <= options.now) {
    return { ok: false, id, error: expiredError(deadline), ...(job ? { job } : {}) };
  }
  return { ok: true, request: { id, inputJson, inputBytes, deadline, ...(job ? { job } : {}) } };
}

/** The error of a request whose deadline passed before the model answered it. */
export function expiredError(deadline: number): ErrorInfo {
  const when = Number.isFinite(new Date(deadline).getTime())
    ? new Date(deadline).toISOString()
    : String(deadline);
  return errorInfo(
    ErrorCode.EXPIRED,
    `deadline ${when} passed before the request reached the model`,
  );
}
