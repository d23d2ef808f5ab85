import { randomUUID } from 'node:crypto';
import { type SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  parseRequestCompletedEvent,
  type RequestCompletedEvent,
  type WaitTarget,
  waitFilterPolicy,
} from '../contract/completionEvent.js';

/** Prefix of the temporary queues `wait` creates (and deletes): find leftovers by it. */
export const waitQueuePrefix = 'sagebatch-wait-';

/** Messages one {@link CompletionSubscription.receive} gathers at most (one BatchGetItem's keys, about). */
const receiveBurst = 100;

/** The calls a completion subscription makes. */
export interface CompletionSubscriptionClients {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly sns: Pick<SNSClient, 'send'>;
}

/** A temporary queue subscribed to the completion topic; {@link close} removes both. */
export interface CompletionSubscription {
  /** The temporary queue's URL. */
  readonly queueUrl: string;
  /**
   * Waits up to `waitSeconds` (0-20, SQS long polling) for events, then drains up to about
   * 100 more without waiting; returns the `request.completed` events received (maybe none,
   * maybe copies).
   */
  receive(waitSeconds: number, signal?: AbortSignal): Promise<RequestCompletedEvent[]>;
  /** Unsubscribes and deletes the queue; tries every step, throws the first failure after. */
  close(): Promise<void>;
}

/**
 * Subscribes a new temporary SQS queue to the completion topic with the filter policy for
 * `target` (`waitFilterPolicy`: the ids, or the job): raw message delivery, SQS-managed encryption, a queue
 * policy that lets only this topic send, over TLS. If any step fails, what was created is
 * removed before the error is thrown.
 *
 * The queue's visibility timeout is SQS's maximum (12 hours): each message is received
 * once and never deleted one by one; deleting the queue removes them all.
 */
export async function openCompletionSubscription(
  clients: CompletionSubscriptionClients,
  topicArn: string,
  target: WaitTarget,
): Promise<CompletionSubscription> {
  const { sqs, sns } = clients;
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${waitQueuePrefix}${randomUUID()}`,
      Attributes: {
        SqsManagedSseEnabled: 'true',
        MessageRetentionPeriod: '3600',
        VisibilityTimeout: '43200',
      },
    }),
  );
  const queueUrl = created.QueueUrl!;
  const subscriptionArns: string[] = [];
  const close = async () => {
    let first: unknown;
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        first ??= error;
      }
    };
    for (const arn of subscriptionArns)
      await attempt(() => sns.send(new UnsubscribeCommand({ SubscriptionArn: arn })));
    await attempt(() => sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })));
    if (first !== undefined) throw first;
  };
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes!.QueueArn!;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { Policy: JSON.stringify(queuePolicy(queueArn, topicArn)) },
      }),
    );
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        ReturnSubscriptionArn: true,
        Attributes: {
          RawMessageDelivery: 'true',
          FilterPolicy: JSON.stringify(waitFilterPolicy(target)),
        },
      }),
    );
    if (SubscriptionArn) subscriptionArns.push(SubscriptionArn);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return {
    queueUrl,
    async receive(waitSeconds, signal) {
      const receiveOnce = async (seconds: number) => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: Math.max(0, Math.min(20, Math.floor(seconds))),
          }),
          signal ? { abortSignal: signal } : {},
        );
        return Messages;
      };
      // One long poll; while full answers come back, a few short polls at once drain the
      // backlog, so a burst of completions costs one read of up to 100 rows, not ten.
      const messages = await receiveOnce(waitSeconds);
      let last = messages.length;
      while (last === 10 && messages.length < receiveBurst) {
        const more = await Promise.all([receiveOnce(0), receiveOnce(0), receiveOnce(0)]);
        messages.push(...more.flat());
        last = Math.max(...more.map((batch) => batch.length));
      }
      return messages
        .map((message) => parseRequestCompletedEvent(message.Body ?? ''))
        .filter((event): event is RequestCompletedEvent => event !== undefined);
    },
    close,
  };
}

/**
 * The temporary queue's policy: only the completion topic may send to it (the
 * `aws:SourceArn` condition SNS documents for SQS subscriptions,
 * https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html), and
 * nothing over plain HTTP.
 */
export function queuePolicy(queueArn: string, topicArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CompletionTopicOnly',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}
