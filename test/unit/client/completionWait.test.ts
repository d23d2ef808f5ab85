import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  SNSClient,
  SubscribeCommand,
  type SubscribeCommandInput,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SagebatchClient } from '../../../lib/client/SagebatchClient.js';
import { requestCompletedEventOf } from '../../../lib/contract/completionEvent.js';
import { offline, queueUrl, tableName } from '../../helpers/factories.js';
import { fakeTable } from '../../helpers/fakes.js';

const topicArn = 'arn:aws:sns:us-east-1:123456789012:completion';
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);
let table: ReturnType<typeof fakeTable>;

/**
 * The temporary queue and topic as AWS runs them, for what the waiter calls: Subscribe
 * refuses a filter policy of more than 150 combinations of values
 * (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html,
 * InvalidParameter) and a second subscription of the same endpoint with other attributes
 * (InvalidParameter "Subscription already exists with different attributes",
 * https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html: Subscribe is idempotent
 * only for identical attributes), ReceiveMessage takes WaitTimeSeconds 0-20 and hands out at most 10
 * messages (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
 */
function fakeBroker(options: { receiveFails?: boolean } = {}) {
  const log: string[] = [];
  const inbox: string[] = [];
  const subscriptions = new Map<string, SubscribeCommandInput>();
  let deleted = false;
  sqs.on(CreateQueueCommand).callsFake(() => {
    log.push('CreateQueue');
    return { QueueUrl: 'https://sqs.local/123456789012/sagebatch-wait-x' };
  });
  sqs
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:123456789012:sagebatch-wait-x' } });
  sqs.on(SetQueueAttributesCommand).resolves({});
  sns.on(SubscribeCommand).callsFake((input: SubscribeCommandInput) => {
    const policy = JSON.parse(input.Attributes?.FilterPolicy ?? '{}') as Record<string, string[]>;
    const combinations = Object.values(policy).reduce((n, values) => n * values.length, 1);
    if (combinations > 150)
      throw Object.assign(new Error('Filter policy is too complex'), {
        name: 'InvalidParameterException',
      });
    log.push('Subscribe');
    const arn = `${topicArn}:sub-${subscriptions.size}`;
    subscriptions.set(arn, input);
    return { SubscriptionArn: arn };
  });
  sns.on(UnsubscribeCommand).callsFake((input) => {
    log.push('Unsubscribe');
    subscriptions.delete(input.SubscriptionArn);
    return {};
  });
  sqs.on(ReceiveMessageCommand).callsFake(async (input) => {
    if (input.WaitTimeSeconds < 0 || input.WaitTimeSeconds > 20)
      throw new Error('InvalidParameterValue');
    if (options.receiveFails)
      throw Object.assign(new Error('Access denied'), { name: 'AccessDenied' });
    log.push('ReceiveMessage');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const bodies = inbox.splice(0, Math.min(10, input.MaxNumberOfMessages ?? 1));
    return { Messages: bodies.map((Body, i) => ({ MessageId: String(i), Body })) };
  });
  sqs.on(DeleteQueueCommand).callsFake(() => {
    log.push('DeleteQueue');
    deleted = true;
    return {};
  });
  return { log, inbox, subscriptions, deleted: () => deleted };
}

/** Writes a final row and, unless `silent`, publishes its event as the pipeline would. */
function complete(broker: ReturnType<typeof fakeBroker>, id: string, silent = false) {
  const completedAt = Date.now();
  table.rows.set(id, { id, status: 'SUCCEEDED', output: '1', completedAt });
  const event = requestCompletedEventOf(
    { id, status: 'SUCCEEDED', completedAt },
    undefined,
    tableName,
  )!;
  if (!silent) broker.inbox.push(JSON.stringify(event), JSON.stringify(event)); // a copy: at least once
}

const client = (withTopic = true) =>
  new SagebatchClient({
    sqs: new SQSClient(offline),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    queueUrl,
    tableName,
    ...(withTopic ? { sns: new SNSClient(offline), completionTopicArn: topicArn } : {}),
  });

beforeEach(() => {
  sqs.reset();
  sns.reset();
  table = fakeTable();
});
afterEach(() => table.mock.restore());

describe('waitForResults with completion events', () => {
  it('subscribes before its one read, then reads a row only when its event arrives; removes queue and subscription', async () => {
    const broker = fakeBroker();
    table.rows.set('early', {
      id: 'early',
      status: 'FAILED',
      error: { code: 'EXPIRED', message: 'x' },
    });
    const ids = ['early', ...Array.from({ length: 20 }, (_, i) => `r-${i}`)];
    setTimeout(() => {
      for (let i = 0; i < 20; i++) complete(broker, `r-${i}`);
    }, 30);
    const { results, pending, via } = await client().waitForResults(ids, { timeoutMs: 10_000 });
    expect(via).toBe('events');
    expect(pending).toEqual([]);
    expect(results.size).toBe(21);
    // Subscribe, then read: a row final before the subscription is found by the read.
    expect(broker.log.indexOf('Subscribe')).toBeLessThan(broker.log.indexOf('ReceiveMessage'));
    expect(broker.log.slice(-2)).toEqual(['Unsubscribe', 'DeleteQueue']);
    // One read of all 21 ids, then one read per batch of events (at most 10 a receive).
    expect(table.batchGets()).toBeLessThanOrEqual(1 + 4);
    const [subscription] = [...sns.commandCalls(SubscribeCommand)].map((c) => c.args[0].input);
    expect(subscription).toMatchObject({ Protocol: 'sqs', ReturnSubscriptionArn: true });
    expect(JSON.parse(subscription!.Attributes!.FilterPolicy!)).toEqual({
      type: ['request.completed'],
      id: ids,
    });
  });

  it('subscribes once: by ids up to 149, past that to every request event', async () => {
    fakeBroker();
    const ids = Array.from({ length: 149 }, (_, i) => `r-${i}`);
    for (const id of ids) table.rows.set(id, { id, status: 'SUCCEEDED', output: '1' });
    await client().waitForResults(ids, { timeoutMs: 1_000 });
    sqs.reset();
    sns.reset();
    fakeBroker();
    const many = Array.from({ length: 2_000 }, (_, i) => `m-${i}`);
    for (const id of many) table.rows.set(id, { id, status: 'SUCCEEDED', output: '1' });
    const { pending } = await client().waitForResults(many, { timeoutMs: 1_000 });
    expect(pending).toEqual([]);
    const policies = sns
      .commandCalls(SubscribeCommand)
      .map((c) => JSON.parse(c.args[0].input.Attributes!.FilterPolicy!));
    expect(policies).toEqual([{ type: ['request.completed'] }]);
  });

  it('finds a row whose event never came on the next reconciling read', async () => {
    const broker = fakeBroker();
    setTimeout(() => complete(broker, 'lost', true), 20);
    const { pending } = await client().waitForResults(['lost'], {
      timeoutMs: 5_000,
      reconcileIntervalMs: 50,
    });
    expect(pending).toEqual([]);
  });

  it('removes the queue and the subscription when receiving fails, and when the caller aborts', async () => {
    const failing = fakeBroker({ receiveFails: true });
    await expect(client().waitForResults(['x'], { timeoutMs: 5_000 })).rejects.toThrow(
      'Access denied',
    );
    expect(failing.deleted()).toBe(true);
    expect(failing.subscriptions.size).toBe(0);

    sqs.reset();
    sns.reset();
    const broker = fakeBroker();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const { pending } = await client().waitForResults(['x'], {
      timeoutMs: 60_000,
      signal: abort.signal,
    });
    expect(pending).toEqual(['x']);
    expect(broker.deleted()).toBe(true);
    expect(broker.subscriptions.size).toBe(0);
  });

  it('polls when the client has no topic, and refuses mode "events" without one', async () => {
    fakeBroker();
    table.rows.set('a', { id: 'a', status: 'SUCCEEDED', output: '1' });
    const polled = await client(false).waitForResults(['a'], { timeoutMs: 1_000 });
    expect(polled.via).toBe('poll');
    expect(sns.commandCalls(SubscribeCommand)).toHaveLength(0);
    const forced = await client(true).waitForResults(['a'], { timeoutMs: 1_000, mode: 'poll' });
    expect(forced.via).toBe('poll');
    await expect(client(false).waitForResults(['a'], { mode: 'events' })).rejects.toThrow(
      /CompletionTopicArn/,
    );
  });
});
