import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { itemBytes, maxItemBytes } from '../../helpers/awsRules/dynamodb.js';
import { offline } from '../../helpers/factories.js';
import { fakeTable } from '../../helpers/fakes.js';

/*
 * The fake table refuses what DynamoDB refuses (test/helpers/awsRules/dynamodb.ts, each
 * rule with its AWS page), so a limit the code forgets fails a unit test.
 */

let table: ReturnType<typeof fakeTable>;
afterEach(() => table.mock.restore());
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient(offline));
const put = (id: string, extra: Record<string, unknown> = {}) => ({
  PutRequest: { Item: { id, status: 'SUCCEEDED', ...extra } },
});
const refusal = (name: string, message?: RegExp) =>
  expect.objectContaining({
    name,
    $metadata: { httpStatusCode: 400 },
    ...(message ? { message: expect.stringMatching(message) } : {}),
  });

describe('fake table: DynamoDB rules', () => {
  it('refuses a BatchWriteItem of more than 25 requests', async () => {
    table = fakeTable();
    const requests = Array.from({ length: 26 }, (_, i) => put(`id-${i}`));
    await expect(
      client().send(new BatchWriteCommand({ RequestItems: { t: requests } })),
    ).rejects.toEqual(refusal('ValidationException', /Too many items/));
  });

  it('refuses a BatchWriteItem naming one key twice', async () => {
    table = fakeTable();
    await expect(
      client().send(new BatchWriteCommand({ RequestItems: { t: [put('a'), put('a')] } })),
    ).rejects.toEqual(refusal('ValidationException', /duplicates/));
  });

  it('refuses an item over 400 KB as DynamoDB counts it (names and values)', async () => {
    table = fakeTable();
    const output = 'x'.repeat(maxItemBytes - 20);
    const item = { id: 'a', status: 'SUCCEEDED', output };
    expect(itemBytes(item)).toBeGreaterThan(maxItemBytes);
    await expect(client().send(new PutCommand({ TableName: 't', Item: item }))).rejects.toEqual(
      refusal('ValidationException', /Item size/),
    );
    await expect(
      client().send(new BatchWriteCommand({ RequestItems: { t: [put('b', { output })] } })),
    ).rejects.toEqual(refusal('ValidationException', /Item size/));
  });

  it('refuses a BatchGetItem of more than 100 keys or with a key twice', async () => {
    table = fakeTable();
    const keys = Array.from({ length: 101 }, (_, i) => ({ id: `id-${i}` }));
    await expect(
      client().send(new BatchGetCommand({ RequestItems: { t: { Keys: keys } } })),
    ).rejects.toEqual(refusal('ValidationException', /Too many items/));
    await expect(
      client().send(
        new BatchGetCommand({ RequestItems: { t: { Keys: [{ id: 'a' }, { id: 'a' }] } } }),
      ),
    ).rejects.toEqual(refusal('ValidationException', /duplicates/));
  });

  it('stops a BatchGetItem answer at 16 MB and returns the rest as UnprocessedKeys', async () => {
    table = fakeTable();
    for (let i = 0; i < 50; i++)
      table.rows.set(`id-${i}`, { id: `id-${i}`, output: 'x'.repeat(390_000) });
    const answer = await client().send(
      new BatchGetCommand({
        RequestItems: { t: { Keys: Array.from({ length: 50 }, (_, i) => ({ id: `id-${i}` })) } },
      }),
    );
    const served = answer.Responses?.t?.length ?? 0;
    expect(served).toBeLessThan(50);
    expect(served + (answer.UnprocessedKeys?.t?.Keys?.length ?? 0)).toBe(50);
  });

  it('evaluates a PutItem condition and fails it with ConditionalCheckFailedException', async () => {
    table = fakeTable();
    table.rows.set('a', { id: 'a', status: 'SUCCEEDED' });
    await expect(
      client().send(
        new PutCommand({
          TableName: 't',
          Item: { id: 'a', status: 'FAILED' },
          ConditionExpression: 'attribute_not_exists(#id) OR #status <> :s',
          ExpressionAttributeNames: { '#id': 'id', '#status': 'status' },
          ExpressionAttributeValues: { ':s': 'SUCCEEDED' },
        }),
      ),
    ).rejects.toEqual(refusal('ConditionalCheckFailedException'));
    expect(table.rows.get('a')?.status).toBe('SUCCEEDED');
  });

  it('throttles with the shape DynamoDB gives (ProvisionedThroughputExceededException, 400)', async () => {
    table = fakeTable({ failPut: () => true });
    await expect(
      client().send(new PutCommand({ TableName: 't', Item: { id: 'a' } })),
    ).rejects.toEqual(refusal('ProvisionedThroughputExceededException'));
  });
});
