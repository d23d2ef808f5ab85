import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterPublisher } from '../../../../lib/aws/deadLetterPublisher.js';
import { ResultStore } from '../../../../lib/aws/resultStore.js';
import {
  finalizeUnprocessed,
  type UnprocessedMessage,
} from '../../../../lib/batcher/finalize/finalizeUnprocessed.js';
import { dlqUrl, fastRetry, offline } from '../../../helpers/factories.js';
import { fakeQueue, fakeTable } from '../../../helpers/fakes.js';

let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;
afterEach(() => {
  table.mock.restore();
  queue.mock.restore();
});

const sinks = () => ({
  store: new ResultStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    tableName: 't',
    retry: fastRetry,
  }),
  deadLetters: new DeadLetterPublisher({
    client: new SQSClient(offline),
    queueUrl: dlqUrl,
    retry: fastRetry,
  }),
  resultTtlSeconds: 60,
  now: 1_000_000,
  invocationId: 'fin-1',
});
const moved = (
  messageId: string,
  body: string,
  requestIdAttribute?: string,
): UnprocessedMessage => ({
  messageId,
  body,
  receiveCount: 3,
  enqueuedAt: 5,
  requestIdAttribute,
});

describe('finalizeUnprocessed', () => {
  it("keeps a job's request in its job: the UNPROCESSED row carries jobId and jobLine", async () => {
    table = fakeTable();
    queue = fakeQueue();
    await finalizeUnprocessed(
      [
        moved('m1', '{"id":"j:4","input":1,"jobId":"j","jobLine":4}'),
        moved('m2', '{"id":"x","input":1,"jobId":"j"}'),
      ],
      sinks(),
    );
    expect(table.rows.get('j:4')).toMatchObject({
      status: 'FAILED',
      error: { code: 'UNPROCESSED' },
      jobId: 'j',
      jobLine: 4,
    });
    expect(table.rows.get('x')).not.toHaveProperty('jobId');
  });

  it('writes a FAILED / UNPROCESSED row, then forwards the body to the DLQ with the usual attributes', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const report = await finalizeUnprocessed(
      [
        moved('m1', '{"id":"a","input":1}'),
        moved('m2', 'not json'),
        moved('m3', '{"input":2}', 'kept'),
      ],
      sinks(),
    );
    expect(report).toMatchObject({ unprocessed: 3, alreadySucceeded: 0 });
    expect(report.retry.size).toBe(0);
    expect(table.rows.get('a')).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      error: { code: 'UNPROCESSED', message: expect.stringContaining('3 deliveries') },
    });
    expect(table.rows.get('m2')).toMatchObject({ status: 'FAILED' });
    expect(table.rows.get('kept')).toMatchObject({ status: 'FAILED' });
    expect(queue.messages.map((m) => [m.body, m.attributes['sagebatch.errorCode']])).toEqual([
      ['{"id":"a","input":1}', 'UNPROCESSED'],
      ['not json', 'UNPROCESSED'],
      ['{"input":2}', 'UNPROCESSED'],
    ]);
    expect(queue.messages[0]!.attributes['sagebatch.requestId']).toBe('a');
  });

  it('never writes over a SUCCEEDED row and sends no DLQ message for it', async () => {
    table = fakeTable();
    queue = fakeQueue();
    table.rows.set('done', { id: 'done', status: 'SUCCEEDED', output: '1' });
    const report = await finalizeUnprocessed([moved('m1', '{"id":"done","input":1}')], sinks());
    expect(report).toMatchObject({ unprocessed: 0, alreadySucceeded: 1 });
    expect(table.rows.get('done')?.status).toBe('SUCCEEDED');
    expect(queue.messages).toEqual([]);
  });

  it('leaves a message it could not record for another delivery, and sends nothing for it', async () => {
    table = fakeTable({ failPut: (id) => id === 'stuck' });
    queue = fakeQueue({ failTimes: (body) => (body.includes('nodlq') ? 99 : 0) });
    const report = await finalizeUnprocessed(
      [moved('m1', '{"id":"stuck","input":1}'), moved('m2', '{"id":"nodlq","input":1}')],
      sinks(),
    );
    expect([...report.retry]).toEqual(['m1', 'm2']);
    expect(queue.messages).toEqual([]);
  });
});
