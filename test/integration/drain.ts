import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * The intake queue of a deployed stack (where SQS's redrive moves what the batcher could not
 * record; the finalizer empties it), found through ListQueues: it is not a stack output.
 */
export async function intakeQueueUrl(sqs: SQSClient, stackName: string): Promise<string> {
  const { QueueUrls = [] } = await sqs.send(
    new ListQueuesCommand({ QueueNamePrefix: stackName, MaxResults: 1000 }),
  );
  const intake = QueueUrls.filter((url) => /Unprocessed/i.test(url.split('/').pop() ?? ''));
  if (intake.length !== 1)
    throw new Error(
      `expected one intake queue of ${stackName}, found ${JSON.stringify(QueueUrls)}`,
    );
  return intake[0]!;
}

/** Messages visible plus in flight (and delayed) in a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Waits until every queue named is empty, visible and in flight alike, on two reads in a row
 * a second apart (a message between two queues is in neither for an instant).
 */
export async function waitUntilDrained(
  sqs: SQSClient,
  queueUrls: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  let emptyReads = 0;
  for (;;) {
    const depths = await Promise.all(queueUrls.map((url) => queueDepth(sqs, url)));
    emptyReads = depths.every((d) => d === 0) ? emptyReads + 1 : 0;
    if (emptyReads >= 2) return;
    if (Date.now() > giveUp)
      throw new Error(`queues not drained after ${timeoutMs} ms: ${depths.join(', ')} messages`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
