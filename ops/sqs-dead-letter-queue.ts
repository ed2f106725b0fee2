/**
 * The provisioning DLQ as on-call sees it: every message with the attributes ingest and the
 * processor put on it, readable without taking it away, and movable back to the provisioning queue
 * one event at a time (SQS's own redrive moves all or nothing).
 *
 * Reading a queue in full needs the messages hidden while it is read (otherwise the same ones come
 * back); each is made visible again at once afterwards, and on its own after READ_VISIBILITY_SECONDS
 * if this process dies first. A moved message is sent before it is deleted: a crash in between
 * leaves a duplicate, which the processor's idempotency absorbs, never a loss.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../lambdas/adapters/sqs-dead-letter-sink';
import { EVENT_MESSAGE_ATTRIBUTES, queuedEventId } from '../lambdas/adapters/sqs-event-queue';

export interface DeadLetterMessage {
  messageId: string;
  body: string;
  eventId: string | null;
  eventType: string | null;
  /** Set when the processor dead-lettered the event itself (a final failure); null when SQS moved it after maxReceiveCount. */
  failureReason: string | null;
  failureMessage: string | null;
  /** SQS SentTimestamp, Unix ms (kept when SQS moves a message to the DLQ; the dead-lettering time for those the processor sends). */
  sentAtMs: number | null;
}

export interface DeadLetterQueue {
  /** Every message, left in the queue. */
  peek(): Promise<DeadLetterMessage[]>;
  /** Moves the messages `select` picks back to the provisioning queue; returns them. */
  redrive(select: (message: DeadLetterMessage) => boolean): Promise<DeadLetterMessage[]>;
}

const READ_VISIBILITY_SECONDS = 30;
/** Attributes the processor adds when it dead-letters an event; a redriven message starts without them. */
const FAILURE_ATTRIBUTES = new Set<string>(Object.values(DEAD_LETTER_ATTRIBUTES));

export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(private readonly sqs: SQSClient, private readonly deadLetterQueueUrl: string, private readonly sourceQueueUrl: string) {}

  async peek(): Promise<DeadLetterMessage[]> {
    const messages = await this.receiveAll();
    await this.release(messages);
    return messages.map(toDeadLetter);
  }

  async redrive(select: (message: DeadLetterMessage) => boolean): Promise<DeadLetterMessage[]> {
    const messages = await this.receiveAll();
    const moved: DeadLetterMessage[] = [];
    const kept: Message[] = [];
    try {
      for (const message of messages) {
        const letter = toDeadLetter(message);
        if (!select(letter)) {
          kept.push(message);
          continue;
        }
        const attributes = Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !FAILURE_ATTRIBUTES.has(name)));
        await this.sqs.send(new SendMessageCommand({ QueueUrl: this.sourceQueueUrl, MessageBody: message.Body ?? '', MessageAttributes: attributes as Record<string, MessageAttributeValue> }));
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
        moved.push(letter);
      }
    } finally {
      await this.release([...kept, ...messages.slice(moved.length + kept.length)]);
    }
    return moved;
  }

  /** Receives until the queue has nothing visible left (long polls, so no message is skipped by sampling). */
  private async receiveAll(): Promise<Message[]> {
    const seen = new Map<string, Message>();
    for (;;) {
      const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({
        QueueUrl: this.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: READ_VISIBILITY_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }));
      if (Messages.length === 0) break;
      for (const message of Messages) seen.set(message.MessageId as string, message);
    }
    return [...seen.values()].sort((a, b) => Number(a.Attributes?.SentTimestamp ?? 0) - Number(b.Attributes?.SentTimestamp ?? 0));
  }

  /** Makes messages visible again now, instead of after READ_VISIBILITY_SECONDS. */
  private async release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      await this.sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.deadLetterQueueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
      }));
    }
  }
}

function toDeadLetter(message: Message): DeadLetterMessage {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue ?? null;
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId as string,
    body: message.Body ?? '',
    eventId: queuedEventId(attribute(EVENT_MESSAGE_ATTRIBUTES.eventId), message.Body),
    eventType: attribute(EVENT_MESSAGE_ATTRIBUTES.eventType),
    failureReason: attribute(DEAD_LETTER_ATTRIBUTES.failureReason),
    failureMessage: attribute(DEAD_LETTER_ATTRIBUTES.failureMessage),
    sentAtMs: Number.isFinite(sent) ? sent : null,
  };
}
