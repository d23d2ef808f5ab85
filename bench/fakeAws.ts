import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemSizeBytes, writeUnits as unitsFor } from '../lib/contract/itemSize.js';

/** AWS API usage counted by the in-process fakes, in the units each service bills. */
export interface AwsUsage {
  dynamoRequests: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  dlqRequests: number;
}

/**
 * In-process DynamoDB and SQS stand-ins for the benchmark: they keep rows, answer as the
 * services would, and count requests and billing units per API call. The model is real;
 * these are not, because their cost is a count, not a measurement.
 */
export function fakeAws() {
  const usage: AwsUsage = {
    dynamoRequests: 0,
    dynamoWriteUnits: 0,
    dynamoReadUnits: 0,
    dlqRequests: 0,
  };
  const rows = new Map<string, Record<string, unknown>>();
  // DynamoDB's own item size rules (attribute names + values), 1 unit per KB rounded up.
  const writeUnits = (item: Record<string, unknown>) => unitsFor(itemSizeBytes(item));
  const dynamo = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      usage.dynamoRequests++;
      const input = command.input as {
        RequestItems?: Record<string, unknown[] | { Keys: { id: string }[] }>;
        Item?: Record<string, unknown>;
      };
      switch (command.constructor.name) {
        case 'BatchGetCommand': {
          const [table, request] = Object.entries(input.RequestItems ?? {})[0] as [
            string,
            { Keys: { id: string }[] },
          ];
          // The pre-check reads strongly consistent: 1 unit per key up to 4 KB, found or not
          // (a projection does not lower it: reads are billed on the item's size).
          usage.dynamoReadUnits += request.Keys.length;
          return {
            Responses: {
              [table]: request.Keys.flatMap((k) => (rows.has(k.id) ? [rows.get(k.id)!] : [])),
            },
            UnprocessedKeys: {},
          };
        }
        case 'BatchWriteCommand': {
          const [, requests] = Object.entries(input.RequestItems ?? {})[0] as [
            string,
            { PutRequest: { Item: Record<string, unknown> } }[],
          ];
          for (const { PutRequest } of requests) {
            usage.dynamoWriteUnits += writeUnits(PutRequest.Item);
            rows.set(String(PutRequest.Item.id), PutRequest.Item);
          }
          return { UnprocessedItems: {} };
        }
        case 'PutCommand':
          usage.dynamoWriteUnits += writeUnits(input.Item ?? {});
          rows.set(String(input.Item?.id), input.Item ?? {});
          return {};
        default:
          throw new Error(`the benchmark fake has no ${command.constructor.name}`);
      }
    },
  } as unknown as DynamoDBDocumentClient;
  const sqs = {
    send: async () => {
      usage.dlqRequests++;
      return { Successful: [], Failed: [] };
    },
  } as unknown as SQSClient;
  return { dynamo, sqs, usage, rows };
}
