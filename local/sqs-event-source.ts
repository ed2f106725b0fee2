/**
 * What Lambda's SQS event source mapping does, for local runs and tests: receive a batch, invoke
 * the handler with an SQSEvent, delete the records it did not report as failed, and leave the
 * failed ones to reappear after their visibility timeout (and reach the DLQ after maxReceiveCount,
 * which the queue itself enforces).
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  createContext: () => Context;
  batchSize?: number;
  /** Long-poll wait per receive, seconds. */
  waitTimeSeconds?: number;
  onError?: (error: unknown) => void;
}

export interface PollResult {
  received: number;
  failed: number;
}

export class SqsEventSource {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SqsEventSourceOptions) {}

  /** Receives and processes at most one batch. */
  async pollOnce(waitTimeSeconds = 0): Promise<PollResult> {
    const { sqs, queueUrl, batchSize = 10 } = this.options;
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: batchSize,
      WaitTimeSeconds: waitTimeSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }));
    if (Messages.length === 0) return { received: 0, failed: 0 };

    const records = Messages.map((message) => this.toRecord(message));
    let failedIds: Set<string>;
    try {
      const response = await this.options.handler({ Records: records }, this.options.createContext());
      failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // An invocation error fails the whole batch, as in Lambda.
      this.options.onError?.(error);
      failedIds = new Set(records.map((record) => record.messageId));
    }
    const done = Messages.filter((message) => !failedIds.has(message.MessageId as string));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }));
    }
    return { received: Messages.length, failed: failedIds.size };
  }

  /** Polls until every visible message is processed and the queue stays empty for one receive. */
  async drain(maxBatches = 100): Promise<number> {
    let processed = 0;
    for (let i = 0; i < maxBatches; i++) {
      const { received } = await this.pollOnce(0);
      if (received === 0) return processed;
      processed += received;
    }
    return processed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.pollOnce(this.options.waitTimeSeconds ?? 1);
        } catch (error) {
          this.options.onError?.(error);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    })();
  }

  /** Stops polling; resolves once the batch in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, {
        dataType: value.DataType as string,
        stringValue: value.StringValue,
        stringListValues: [],
        binaryListValues: [],
      }])),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: 'us-east-1',
    };
  }
}
