import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  type SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterPublisher } from '../../../../lib/aws/deadLetterPublisher.js';
import { RequestQueue } from '../../../../lib/aws/requestQueue.js';
import { ResultBucket } from '../../../../lib/aws/resultBucket.js';
import { ResultStore } from '../../../../lib/aws/resultStore.js';
import { finalizeUnprocessed } from '../../../../lib/batcher/finalize/finalizeUnprocessed.js';
import { persistOutcomes } from '../../../../lib/batcher/persist/persistOutcomes.js';
import type { Settlement } from '../../../../lib/batcher/settle/settlement.js';
import {
  deliveredRecord,
  dlqUrl,
  fastRetry,
  offline,
  queueUrl,
} from '../../../helpers/factories.js';
import { fakeBucket, fakeQueue, fakeTable } from '../../../helpers/fakes.js';

/*
 * Item 15 of issue 17: every write path tells its caller the errors it ended with, so the
 * handler's "first error of its kind" line names the path (results table, results
 * bucket, DLQ, request queue: visibility changes and requeues).
 */

let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;
let bucket: ReturnType<typeof fakeBucket> | undefined;
afterEach(() => {
  table.mock.restore();
  queue.mock.restore();
  bucket?.mock.restore();
  bucket = undefined;
});

type Send = SQSClient['send'];
const unavailable = () =>
  Object.assign(new Error('Service unavailable'), {
    name: 'ServiceUnavailable',
    $metadata: { httpStatusCode: 503 },
  });
/** An SQS client whose every call fails after the SDK's retries. */
const broken: Pick<SQSClient, 'send'> = {
  send: (async () => {
    throw unavailable();
  }) as unknown as Send,
};
/** An SQS client whose SendMessageBatch calls fail; visibility changes still work. */
function failingSends(): Pick<SQSClient, 'send'> {
  const client = new SQSClient(offline);
  const send = async (command: SendMessageBatchCommand) => {
    if (command instanceof ChangeMessageVisibilityBatchCommand) return client.send(command);
    throw unavailable();
  };
  return { send: send as unknown as Send };
}
/** An SQS client that refuses every ChangeMessageVisibilityBatch entry (no exception). */
function refusingVisibility(): Pick<SQSClient, 'send'> {
  const client = new SQSClient(offline);
  const send = async (command: SendMessageBatchCommand) => {
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      return {
        Successful: [],
        Failed: (command.input.Entries ?? []).map((e) => ({
          Id: e.Id,
          Code: 'ReceiptHandleIsInvalid',
          SenderFault: true,
          Message: 'The receipt handle has expired',
        })),
      };
    }
    return client.send(command);
  };
  return { send: send as unknown as Send };
}

const settlement = (verdict: Settlement['verdict'], receiveCount = 1): Settlement => ({
  record: deliveredRecord({ messageId: 'm1', receiveCount, body: '{"id":"a","input":1}' }),
  id: 'a',
  verdict,
});
const failed: Settlement['verdict'] = {
  kind: 'failed',
  error: { code: 'INVALID_REQUEST', message: 'x' },
};

function sinks(
  options: {
    dlqClient?: Pick<SQSClient, 'send'>;
    queueClient?: Pick<SQSClient, 'send'>;
    bucket?: ResultBucket;
  } = {},
) {
  const seen: { source: string; name: string; code?: string }[] = [];
  return {
    seen,
    sinks: {
      store: new ResultStore({
        client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
        tableName: 't',
        retry: fastRetry,
      }),
      outputs: {
        encoding: 'json' as const,
        offloadBytes: 1,
        ...(options.bucket ? { bucket: options.bucket } : {}),
      },
      deadLetters: new DeadLetterPublisher({
        client: options.dlqClient ?? new SQSClient(offline),
        queueUrl: dlqUrl,
        retry: fastRetry,
      }),
      requestQueue: new RequestQueue({
        client: options.queueClient ?? new SQSClient(offline),
        queueUrl,
        retry: fastRetry,
      }),
      resultTtlSeconds: 600,
      now: 1_000_000,
      invocationId: 'inv-1',
      unread: new Set<string>(),
      signal: new AbortController().signal,
      onError: (source: string, error: unknown) => {
        const e = error as { name?: string; code?: string };
        seen.push({ source, name: String(e.name), ...(e.code ? { code: e.code } : {}) });
      },
    },
  };
}

describe('every write path reports the errors it ends with', () => {
  it('results table: a FAILED row that cannot be written', async () => {
    table = fakeTable({ failPut: () => true });
    queue = fakeQueue();
    const { seen, sinks: s } = sinks();
    await persistOutcomes([settlement(failed)], s);
    expect(seen).toContainEqual(
      expect.objectContaining({
        source: 'results-table',
        name: 'ProvisionedThroughputExceededException',
      }),
    );
  });

  it('results bucket: an offloaded output that cannot be stored', async () => {
    table = fakeTable();
    queue = fakeQueue();
    bucket = fakeBucket({ failPut: () => true });
    const { seen, sinks: s } = sinks({
      bucket: new ResultBucket({ client: new S3Client(offline), bucketName: 'results' }),
    });
    await persistOutcomes(
      [settlement({ kind: 'succeeded', outputJson: '[1,2,3]', latencyMs: 1, batchItems: 1 })],
      s,
    );
    expect(seen).toContainEqual(
      expect.objectContaining({ source: 'results-bucket', name: 'InternalError' }),
    );
  });

  it('dead-letter queue: a SendMessageBatch call that fails', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const { seen, sinks: s } = sinks({ dlqClient: broken });
    const report = await persistOutcomes([settlement(failed)], s);
    expect([...report.retry]).toEqual(['m1']);
    expect(seen).toContainEqual(
      expect.objectContaining({ source: 'dead-letter-queue', name: 'ServiceUnavailable' }),
    );
  });

  it('dead-letter queue: entries SQS failed on its side', async () => {
    table = fakeTable();
    queue = fakeQueue({ failTimes: (_, url) => (url === dlqUrl ? 99 : 0) });
    const { seen, sinks: s } = sinks();
    await persistOutcomes([settlement(failed)], s);
    expect(seen).toContainEqual(
      expect.objectContaining({ source: 'dead-letter-queue', code: 'InternalError' }),
    );
  });

  it('request queue: visibility changes SQS refused', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const { seen, sinks: s } = sinks({ queueClient: refusingVisibility() });
    await persistOutcomes(
      [
        settlement({
          kind: 'retry',
          error: { code: 'RETRIES_EXHAUSTED', message: 'x' },
          delaySeconds: 5,
        }),
      ],
      s,
    );
    expect(seen).toContainEqual(
      expect.objectContaining({ source: 'request-queue', code: 'ReceiptHandleIsInvalid' }),
    );
  });

  it('request queue: a requeue that fails', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const { seen, sinks: s } = sinks({ queueClient: failingSends() });
    await persistOutcomes(
      [
        settlement(
          {
            kind: 'requeue',
            error: { code: 'MODEL_UNAVAILABLE', message: 'x' },
            delaySeconds: 5,
            hold: 'busy',
          },
          5,
        ),
      ],
      s,
    );
    expect(seen).toContainEqual(
      expect.objectContaining({ source: 'request-queue', name: 'ServiceUnavailable' }),
    );
  });

  it('finalizer: a DLQ publish that fails is reported as the dead-letter queue', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const seen: string[] = [];
    await finalizeUnprocessed(
      [
        {
          messageId: 'm1',
          body: '{"id":"a"}',
          receiveCount: 4,
          enqueuedAt: 1,
          requestIdAttribute: undefined,
        },
      ],
      {
        store: new ResultStore({
          client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
          tableName: 't',
          retry: fastRetry,
        }),
        deadLetters: new DeadLetterPublisher({
          client: broken,
          queueUrl: dlqUrl,
          retry: fastRetry,
        }),
        resultTtlSeconds: 600,
        now: 1_000_000,
        invocationId: 'fin-1',
        onError: (...args: unknown[]) => void seen.push(String(args[0])),
      },
    );
    expect(seen).toContain('dead-letter-queue');
  });
});
