import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createEventPublisher } from '../../../../functions/eventPublisher/handler.js';
import { createTelemetry } from '../../../../lib/batcher/telemetry.js';
import type { CompletionEvent } from '../../../../lib/contract/completionEvent.js';

const streamArn = 'arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/x';
const final = (sequence: number, id: string) => ({
  eventName: 'INSERT' as const,
  eventSourceARN: streamArn,
  dynamodb: {
    SequenceNumber: String(sequence),
    NewImage: { id: { S: id }, status: { S: 'SUCCEEDED' }, completedAt: { N: '5' } },
  },
});
const context = { awsRequestId: 'req-1', functionName: 'f' } as Context;

describe('event publisher handler', () => {
  it('reports nothing when every event is published', async () => {
    const published: CompletionEvent[] = [];
    const handler = createEventPublisher(
      () => ({
        publisher: {
          publish: async (items) => {
            published.push(...items.map((i) => i.event));
            return { unpublished: [], reason: '' };
          },
        },
      }),
      createTelemetry(),
    );
    const event = { Records: [final(1, 'a'), final(2, 'b')] } as DynamoDBStreamEvent;
    expect(await handler(event, context)).toEqual({ batchItemFailures: [] });
    expect(published.map((e) => e.type === 'request.completed' && e.id)).toEqual(['a', 'b']);
  });

  it('reports the first unpublished record, so the shard is retried from there', async () => {
    const handler = createEventPublisher(
      () => ({
        publisher: {
          publish: async (items) => ({ unpublished: items.slice(1), reason: 'Throttled' }),
        },
      }),
      createTelemetry(),
    );
    const event = {
      Records: [final(1, 'a'), final(2, 'b'), final(3, 'c')],
    } as DynamoDBStreamEvent;
    expect(await handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
  });
});
