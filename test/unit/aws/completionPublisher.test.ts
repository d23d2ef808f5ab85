import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CompletionPublisher } from '../../../lib/aws/completionPublisher.js';
import { requestCompletedEventOf } from '../../../lib/contract/completionEvent.js';
import { checkPublishBatch, throttled } from '../../helpers/awsRules/sns.js';

const sns = mockClient(SNSClient);
const noWait = { retries: 3, baseMs: 1, maxMs: 1, wait: async () => undefined };

const eventOf = (i: number, id = `r-${i}`) => ({
  n: i,
  event: requestCompletedEventOf(
    { id, status: 'SUCCEEDED', completedAt: 1_000 + i },
    undefined,
    'results',
  )!,
});

/** The topic as SNS runs it: refuses what PublishBatch refuses, records what it accepted. */
function fakeTopic(options: { throttleFirst?: number; failEntryTimes?: Map<string, number> } = {}) {
  const published: string[] = [];
  let throttles = options.throttleFirst ?? 0;
  sns.on(PublishBatchCommand).callsFake((input) => {
    checkPublishBatch(input);
    if (throttles > 0) {
      throttles--;
      throw throttled();
    }
    const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
    const Successful: { Id: string; MessageId: string }[] = [];
    for (const entry of input.PublishBatchRequestEntries) {
      const id = JSON.parse(entry.Message).id as string;
      const left = options.failEntryTimes?.get(id) ?? 0;
      if (left > 0) {
        options.failEntryTimes!.set(id, left - 1);
        Failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false });
      } else {
        published.push(id);
        Successful.push({ Id: entry.Id, MessageId: `m-${entry.Id}` });
      }
    }
    return { Successful, Failed };
  });
  return published;
}

beforeEach(() => sns.reset());

describe('CompletionPublisher', () => {
  it('publishes any number of events in batches SNS accepts, with the filter attributes', async () => {
    const published = fakeTopic();
    const publisher = new CompletionPublisher({
      client: sns as never,
      topicArn: 'arn:t',
      retry: noWait,
    });
    const items = Array.from({ length: 25 }, (_, i) => eventOf(i));
    const { unpublished } = await publisher.publish(items);
    expect(unpublished).toEqual([]);
    expect(published.sort()).toEqual(items.map((i) => i.event.id).sort());
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.map((c) => c.args[0].input.PublishBatchRequestEntries!.length)).toEqual([
      10, 10, 5,
    ]);
    expect(calls[0]!.args[0].input.PublishBatchRequestEntries![0]!.MessageAttributes).toMatchObject(
      {
        status: { DataType: 'String', StringValue: 'SUCCEEDED' },
        type: { DataType: 'String', StringValue: 'request.completed' },
      },
    );
  });

  it('cuts batches by bytes too (256 KiB a PublishBatch)', async () => {
    fakeTopic();
    const publisher = new CompletionPublisher({
      client: sns as never,
      topicArn: 'arn:t',
      retry: noWait,
    });
    // Ids of 256 characters and long job ids make events of ~40 KiB: 6 fit, not 10.
    const big = Array.from({ length: 10 }, (_, i) => ({
      ...eventOf(i),
      event: { ...eventOf(i).event, jobId: 'j'.repeat(20_000) },
    }));
    const { unpublished } = await publisher.publish(big);
    expect(unpublished).toEqual([]);
    expect(sns.commandCalls(PublishBatchCommand).length).toBeGreaterThan(1);
  });

  it('retries throttling and failed entries; returns what is still unpublished in input order', async () => {
    const published = fakeTopic({
      throttleFirst: 1,
      failEntryTimes: new Map([
        ['r-2', 1],
        ['r-5', 99],
        ['r-7', 99],
      ]),
    });
    const publisher = new CompletionPublisher({
      client: sns as never,
      topicArn: 'arn:t',
      retry: noWait,
    });
    const items = Array.from({ length: 8 }, (_, i) => eventOf(i));
    const { unpublished, reason } = await publisher.publish(items);
    expect(unpublished.map((i) => i.n)).toEqual([5, 7]);
    expect(reason).toContain('InternalError');
    expect(published).toContain('r-2');
    expect(published).not.toContain('r-5');
  });
});
