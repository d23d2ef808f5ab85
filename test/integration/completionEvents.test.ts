import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuePolicy } from '../../lib/client/completionSubscription.js';
import { SagebatchClient } from '../../lib/client/index.js';
import { localClientConfig } from '../../lib/dev/localAws.js';
import { eventAccountingProblems, type ObservedEvent } from '../helpers/eventAccounting.js';
import { type LocalStack, startLocalStack } from './localStack.js';

const run = Date.now().toString(36);
let stack: LocalStack;
let topicArn: string;

/** A test subscriber: its own queue on the completion topic, through the public APIs only. */
interface Subscriber {
  readonly queueUrl: string;
  readonly subscriptionArn: string;
  readonly seen: ObservedEvent[];
}

async function subscribe(filterPolicy?: object): Promise<Subscriber> {
  const { QueueUrl } = await stack.sqs.send(
    new CreateQueueCommand({
      QueueName: `sagebatch-it-events-${run}-${Math.random().toString(36).slice(2, 8)}`,
      Attributes: { SqsManagedSseEnabled: 'true', VisibilityTimeout: '43200' },
    }),
  );
  const { Attributes } = await stack.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes!.QueueArn!;
  await stack.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: { Policy: JSON.stringify(queuePolicy(queueArn, topicArn)) },
    }),
  );
  const { SubscriptionArn } = await stack.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      ReturnSubscriptionArn: true,
      Attributes: {
        RawMessageDelivery: 'true',
        ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}),
      },
    }),
  );
  return { queueUrl: QueueUrl!, subscriptionArn: SubscriptionArn!, seen: [] };
}

async function unsubscribe(subscriber: Subscriber | undefined) {
  if (!subscriber) return;
  await stack.sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriber.subscriptionArn }));
  await stack.sqs.send(new DeleteQueueCommand({ QueueUrl: subscriber.queueUrl }));
}

/**
 * Receives until the queue stays empty for `quietMs`; on each event, reads its row with a
 * strongly consistent GetItem, as a subscriber acting on the event would.
 */
async function drain(subscriber: Subscriber, quietMs = 8_000): Promise<void> {
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    const { Messages = [] } = await stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: subscriber.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 2,
      }),
    );
    if (Messages.length > 0) quietSince = Date.now();
    for (const message of Messages) {
      const event = JSON.parse(message.Body!) as { eventId: string; id: string; status: string };
      const { Item } = await stack.dynamo.send(
        new GetCommand({
          TableName: stack.outputs.tableName,
          Key: { id: event.id },
          ConsistentRead: true,
        }),
      );
      subscriber.seen.push({
        eventId: event.eventId,
        id: event.id,
        status: event.status,
        rowStatusAtReceipt: Item?.status as string | undefined,
      });
    }
  }
}

/** A row as the batcher writes it (the attributes the contract names). */
const row = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  status,
  attempts: 1,
  messageId: `m-${id}`,
  invocationId: 'test',
  enqueuedAt: Date.now(),
  completedAt: Date.now(),
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  ...extra,
});

/**
 * Writes a row's life directly through DynamoDB: RETRYING (no event), FAILED (one event),
 * the DLQ mark on the FAILED row (a rewrite of a final row: no event).
 */
async function retryingThenFailed(id: string) {
  const table = stack.outputs.tableName;
  await stack.dynamo.send(
    new PutCommand({ TableName: table, Item: row(id, 'RETRYING', { error: { code: 'X' } }) }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await stack.dynamo.send(
    new PutCommand({
      TableName: table,
      Item: row(id, 'FAILED', { error: { code: 'MODEL_ERROR' }, deadLetterId: 'd1' }),
    }),
  );
  await stack.dynamo.send(
    new UpdateCommand({
      TableName: table,
      Key: { id },
      UpdateExpression: 'SET deadLetteredAt = :now',
      ExpressionAttributeValues: { ':now': Date.now() },
    }),
  );
}

beforeAll(async () => {
  stack = await startLocalStack(`SagebatchEvents${run}`);
  if (!stack.outputs.completionTopicArn) throw new Error('the stack has no CompletionTopicArn');
  topicArn = stack.outputs.completionTopicArn;
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

describe('completion events on the local stack', () => {
  const transitions = new Map<string, number>();
  let all: Subscriber | undefined;
  let failedOnly: Subscriber | undefined;

  it('publishes one event per final transition, after its row is readable; a status filter sees only its status; wait via events returns', async () => {
    all = await subscribe();
    failedOnly = await subscribe({ status: ['FAILED'] });
    const events = new SagebatchClient({
      sqs: stack.sqs,
      dynamo: stack.dynamo,
      queueUrl: stack.outputs.queueUrl,
      tableName: stack.outputs.tableName,
      sns: stack.sns,
      completionTopicArn: topicArn,
    });
    const good = Array.from({ length: 30 }, (_, i) => ({
      id: `ok-${run}-${i}`,
      input: `text ${i}`,
    }));
    const late = Array.from({ length: 6 }, (_, i) => ({
      id: `late-${run}-${i}`,
      input: i,
      deadline: Date.now() - 1,
    }));
    // Subscribed before anything is sent: every transition below must reach both queues.
    const waiting = events.waitForResults(
      [...good, ...late].map((r) => r.id),
      { mode: 'events', timeoutMs: 180_000, reconcileIntervalMs: 60_000 },
    );
    await events.submit([...good, ...late]);
    const { results, pending, via } = await waiting;
    expect(via).toBe('events');
    expect(pending).toEqual([]);
    expect([...results.values()].filter((r) => r.status === 'SUCCEEDED')).toHaveLength(30);
    expect([...results.values()].filter((r) => r.status === 'FAILED')).toHaveLength(6);
    for (const r of [...good, ...late]) transitions.set(r.id, 1);

    const manual = `manual-${run}`;
    await retryingThenFailed(manual);
    transitions.set(manual, 1);

    await drain(all);
    await drain(failedOnly, 2_000);
    expect(eventAccountingProblems(transitions, all.seen)).toEqual([]);
    expect(all.seen.length).toBeGreaterThanOrEqual(transitions.size);
    const failedIds = new Set([...late.map((r) => r.id), manual]);
    expect(new Set(failedOnly.seen.map((e) => e.id))).toEqual(failedIds);
    expect(failedOnly.seen.every((e) => e.status === 'FAILED')).toBe(true);
  }, 300_000);

  it('negative control: a publisher that sends every write (RETRYING, rewrites of final rows) is caught', async () => {
    const lambda = new LambdaClient(localClientConfig());
    const { Table } = await new DynamoDBClient(localClientConfig()).send(
      new DescribeTableCommand({ TableName: stack.outputs.tableName }),
    );
    const { EventSourceMappings = [] } = await lambda.send(
      new ListEventSourceMappingsCommand({ EventSourceArn: Table!.LatestStreamArn! }),
    );
    const mapping = EventSourceMappings[0]!;
    const FunctionName = mapping.FunctionArn!;
    const { Environment } = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName }),
    );
    // Break both guards: the mapping's filter (final new images only) and the transition rule.
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName,
        Environment: {
          Variables: { ...Environment?.Variables, SAGEBATCH_NEGATIVE_CONTROL: 'every-write' },
        },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName });
    await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: mapping.UUID!, FilterCriteria: { Filters: [] } }),
    );
    const broken = await subscribe();
    const id = `control-${run}`;
    await retryingThenFailed(id);
    await drain(broken);
    await unsubscribe(broken);
    const problems = eventAccountingProblems(new Map([[id, 1]]), broken.seen);
    expect(problems).toContain(`${id}: event for status RETRYING, which is not final`);
    expect(problems.some((p) => p.startsWith(`${id}: `) && p.includes('distinct events'))).toBe(
      true,
    );
  }, 300_000);

  afterAll(async () => {
    await unsubscribe(all);
    await unsubscribe(failedOnly);
  });
});
