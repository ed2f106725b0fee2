/**
 * A provisioning queue and its dead-letter queue with the deployed redrive policy, on an SQS
 * endpoint (fauxqs). Used by the local pipeline and by the integration tests, so both run the
 * queue wiring the stack deploys.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

export interface QueuePairOptions {
  name: string;
  deadLetterName: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export async function createQueueWithDeadLetter(sqs: SQSClient, options: QueuePairOptions): Promise<{ queue: QueueRef; deadLetter: QueueRef }> {
  const deadLetter = await createQueue(sqs, options.deadLetterName, {});
  const queue = await createQueue(sqs, options.name, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: options.maxReceiveCount }),
  });
  return { queue, deadLetter };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<QueueRef> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = QueueUrl as string;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { name, url, arn: Attributes?.QueueArn as string };
}
