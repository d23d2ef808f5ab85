import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterPublisher } from '../../../../lib/aws/deadLetterPublisher.js';
import { RequestQueue } from '../../../../lib/aws/requestQueue.js';
import { ResultStore } from '../../../../lib/aws/resultStore.js';
import { finalizeUnprocessed } from '../../../../lib/batcher/finalize/finalizeUnprocessed.js';
import { persistOutcomes } from '../../../../lib/batcher/persist/persistOutcomes.js';
import type { Settlement } from '../../../../lib/batcher/settle/settlement.js';
import type { ErrorCode } from '../../../../lib/contract/errorCodes.js';
import {
  deliveredRecord,
  dlqUrl,
  fastRetry,
  offline,
  queueUrl,
} from '../../../helpers/factories.js';
import { fakeQueue, fakeTable } from '../../../helpers/fakes.js';

/*
 * One DLQ message per request and attempt, whatever the interleaving: a concurrent
 * success, a publish whose answer was lost, a redelivery after the message was sent, and
 * the finalizer after the batcher. Real adapters over the fakes of DynamoDB and SQS.
 */

let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;
afterEach(() => {
  table.mock.restore();
  queue.mock.restore();
});

type Send = SQSClient['send'];

/** An SQS client whose calls SQS carries out but whose answers the caller never sees. */
function losingAnswers(lose: (call: number) => boolean): Pick<SQSClient, 'send'> {
  const client = new SQSClient(offline);
  let calls = 0;
  const send = async (command: SendMessageBatchCommand) => {
    calls += 1;
    const answer = await client.send(command);
    if (lose(calls)) {
      throw Object.assign(new Error('Socket timed out without establishing a connection'), {
        name: 'TimeoutError',
      });
    }
    return answer;
  };
  return { send: send as unknown as Send };
}

const store = () =>
  new ResultStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    tableName: 't',
    retry: fastRetry,
  });
const publisher = (client: Pick<SQSClient, 'send'> = new SQSClient(offline)) =>
  new DeadLetterPublisher({ client, queueUrl: dlqUrl, retry: fastRetry });

const body = '{"id":"a","input":1}';
const failed = (
  receiveCount: number,
  code: ErrorCode = 'RETRIES_EXHAUSTED',
  messageId = 'm1',
): Settlement => ({
  record: deliveredRecord({ messageId, receiveCount, body }),
  id: 'a',
  verdict: { kind: 'failed', error: { code, message: 'x' } },
});

function batcherSinks(deadLetters = publisher()) {
  return {
    store: store(),
    outputs: { encoding: 'json' as const, offloadBytes: 65_536 },
    deadLetters,
    requestQueue: new RequestQueue({
      client: new SQSClient(offline),
      queueUrl,
      retry: fastRetry,
    }),
    resultTtlSeconds: 600,
    now: Date.now(),
    invocationId: 'inv-1',
    unread: new Set<string>(),
    signal: new AbortController().signal,
  };
}

const finalizerSinks = (deadLetters = publisher()) => ({
  store: store(),
  deadLetters,
  resultTtlSeconds: 600,
  now: Date.now() + 1_000,
  invocationId: 'fin-1',
});
const movedToIntake = {
  messageId: 'm1',
  body,
  receiveCount: 4,
  enqueuedAt: 1,
  requestIdAttribute: undefined,
};

const lettersOf = (id: string) =>
  queue.messages.filter((m) => m.attributes['sagebatch.requestId'] === id);

describe('one DLQ message per request and attempt', () => {
  it('sends no DLQ message when a concurrent delivery succeeds between the FAILED row and the publish', async () => {
    let raced = false;
    table = fakeTable({
      afterWrite: (id, rows) => {
        if (raced || rows.get(id)?.status !== 'FAILED') return;
        raced = true; // another delivery of the same id writes its success now
        rows.set(id, { ...rows.get(id), status: 'SUCCEEDED', output: '1', error: undefined });
      },
    });
    queue = fakeQueue();
    const report = await persistOutcomes([failed(1, 'MODEL_REJECTED')], batcherSinks());
    expect(raced).toBe(true);
    expect(lettersOf('a')).toEqual([]);
    expect(table.rows.get('a')?.status).toBe('SUCCEEDED');
    expect(report).toMatchObject({ failed: 0, duplicates: 1 });
    expect([...report.retry]).toEqual([]);
  });

  it('marks a publish SQS accepted but whose answer was lost with one stable sagebatch.deadLetterId', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const report = await persistOutcomes(
      [failed(1, 'INVALID_REQUEST')],
      batcherSinks(publisher(losingAnswers((call) => call === 1))),
    );
    expect(report.failed).toBe(1);
    const letters = lettersOf('a');
    expect(letters.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(letters.map((m) => m.attributes['sagebatch.deadLetterId']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{32,}$/);
    // The publish confirmed afterwards is recorded on the row.
    expect(table.rows.get('a')).toMatchObject({
      status: 'FAILED',
      deadLetterId: [...ids][0],
      deadLetteredAt: expect.any(Number),
    });
  });

  it('sends no second DLQ message when the same message comes back after its FAILED row was dead-lettered', async () => {
    table = fakeTable();
    queue = fakeQueue();
    await persistOutcomes([failed(2, 'INVALID_REQUEST')], batcherSinks());
    // The function timed out after the publish: SQS delivers the message again.
    const again = await persistOutcomes([failed(3, 'INVALID_REQUEST')], batcherSinks());
    expect(lettersOf('a')).toHaveLength(1);
    expect([...again.retry]).toEqual([]);
  });

  it('keeps the batcher FAILED code and sends nothing more when the finalizer gets the message after the batcher dead-lettered it', async () => {
    table = fakeTable();
    queue = fakeQueue();
    await persistOutcomes([failed(3)], batcherSinks());
    // The ack was lost (the function timed out after the publish): SQS's redrive moves it.
    const report = await finalizeUnprocessed([movedToIntake], finalizerSinks());
    expect(table.rows.get('a')).toMatchObject({
      status: 'FAILED',
      error: { code: 'RETRIES_EXHAUSTED' },
    });
    expect(lettersOf('a')).toHaveLength(1);
    expect([...report.retry]).toEqual([]);
  });

  it('publishes the batcher FAILED row once, with its code, when the batcher could not and the finalizer gets the message', async () => {
    table = fakeTable();
    queue = fakeQueue();
    const broken = {
      send: (async () => {
        throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
      }) as unknown as Send,
    };
    const first = await persistOutcomes([failed(3)], batcherSinks(publisher(broken)));
    expect([...first.retry]).toEqual(['m1']);
    const report = await finalizeUnprocessed([movedToIntake], finalizerSinks());
    expect(lettersOf('a')).toEqual([
      expect.objectContaining({
        attributes: expect.objectContaining({ 'sagebatch.errorCode': 'RETRIES_EXHAUSTED' }),
      }),
    ]);
    expect(table.rows.get('a')).toMatchObject({ error: { code: 'RETRIES_EXHAUSTED' } });
    expect([...report.retry]).toEqual([]);
  });
});
