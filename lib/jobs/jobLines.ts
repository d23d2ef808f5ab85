import { AwsLimits } from '../contract/awsLimits.js';
import { envelopeSchema } from '../contract/envelope.js';
import { SagebatchError } from '../contract/errors.js';
import { rawMember } from '../contract/jsonText.js';

/** One line of a job file that will be sent: its request id and the SQS body. */
export interface JobLine {
  /** 1-based line number in the file (blank lines count, so it matches an editor). */
  readonly line: number;
  readonly id: string;
  /** `{"id","input","deadline"?,"jobId","jobLine"}`, `input` as the exact JSON text of the line. */
  readonly body: string;
}

/** A line the check refused, with what to fix. */
export interface InvalidLine {
  readonly line: number;
  readonly message: string;
}

/** A line of a job file: valid (to send) or invalid (with the reason). */
export type CheckedLine =
  | { readonly ok: true; readonly request: JobLine }
  | { readonly ok: false; readonly invalid: InvalidLine };

/** Invalid lines found before anything was sent (`job submit` without `--skip-invalid`). */
export class InvalidLinesError extends SagebatchError {
  /** Every invalid line, in file order. */
  readonly lines: readonly InvalidLine[];

  constructor(lines: readonly InvalidLine[], totalLines: number) {
    const shown = lines
      .slice(0, 20)
      .map((l) => `  line ${l.line}: ${l.message}`)
      .join('\n');
    const more = lines.length > 20 ? `\n  ... and ${lines.length - 20} more` : '';
    super(
      `${lines.length} of ${totalLines} lines are invalid; nothing was sent. Fix them, or pass --skip-invalid to send the rest:\n${shown}${more}`,
    );
    this.name = 'InvalidLinesError';
    this.lines = lines;
  }
}

/**
 * The line schema: the request envelope a producer writes (one schema, so a line is refused
 * exactly as the batcher would refuse its body), without the job members submit adds.
 */
const lineSchema = envelopeSchema.omit({ jobId: true, jobLine: true });

/**
 * Checks the lines of one job file, in order, keeping what must be remembered across lines:
 * explicit ids, so an id used twice is refused (two lines with one id would share one row,
 * and the job could never count both). Memory grows only with lines that name an id; lines
 * without one get `<jobId>:<line>`, unique by construction.
 */
export class JobLineChecker {
  readonly #jobId: string;
  readonly #seen = new Map<string, number>();
  readonly #defaultIdPattern: RegExp;

  constructor(jobId: string) {
    this.#jobId = jobId;
    this.#defaultIdPattern = new RegExp(`^${jobId.replace(/[.]/g, '\\.')}:[0-9]+$`);
  }

  /** Checks line `line` (1-based) of the file; `text` is the line without its newline. */
  check(text: string, line: number): CheckedLine {
    const invalid = (message: string): CheckedLine => ({ ok: false, invalid: { line, message } });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return invalid('not JSON; each line must be {"input": ...}');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return invalid('must be a JSON object {"id"?, "input", "deadline"?}');
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) return invalid(parsed.error.issues.map((i) => i.message).join('; '));
    const { id: given, deadline } = parsed.data;
    if (given !== undefined) {
      if (this.#defaultIdPattern.test(given))
        return invalid(`id ${given} has the form <jobId>:<number>, kept for lines without an id`);
      const first = this.#seen.get(given);
      if (first !== undefined) return invalid(`id ${given} is already used by line ${first}`);
    }
    const id = given ?? `${this.#jobId}:${line}`;
    // The input travels as its exact JSON text (numbers beyond double precision included).
    const input = rawMember(text, 'input') ?? 'null';
    const body = `{"id":${JSON.stringify(id)},"input":${input}${
      deadline === undefined ? '' : `,"deadline":${deadline}`
    },"jobId":${JSON.stringify(this.#jobId)},"jobLine":${line}}`;
    const bytes = Buffer.byteLength(body);
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
    if (bytes > AwsLimits.sqsMaxMessageBytes)
      return invalid(
        `the request is ${bytes} bytes as an SQS message; SQS takes at most ${AwsLimits.sqsMaxMessageBytes}`,
      );
    if (given !== undefined) this.#seen.set(given, line);
    return { ok: true, request: { line, id, body } };
  }
}
