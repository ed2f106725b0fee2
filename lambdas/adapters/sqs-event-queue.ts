/**
 * EventQueue on SQS. The message body is the raw event JSON exactly as Stripe signed it (the
 * processor and the DLQ tools re-read it byte for byte); the attributes let on-call tools list and
 * filter messages without parsing bodies.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventQueue, QueuedStripeEvent } from '../ports/event-queue';

/** Message attribute names; readers (processor, DLQ tools) import these rather than repeat them. */
export const EVENT_MESSAGE_ATTRIBUTES = {
  eventId: 'eventId',
  eventType: 'eventType',
  /** Stripe event `created`, Unix seconds (SQS `Number`). */
  eventCreated: 'eventCreated',
} as const;

/**
 * The Stripe event id a queued message is about: its `eventId` attribute, or else the body's `id`
 * (a message sent by hand carries no attributes). Null when neither names one.
 */
export function queuedEventId(eventIdAttribute: string | null | undefined, body: string | null | undefined): string | null {
  if (eventIdAttribute) return eventIdAttribute;
  try {
    const id = (JSON.parse(body ?? '') as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

export class SqsEventQueue implements EventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(event: QueuedStripeEvent): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: event.body,
        MessageAttributes: {
          [EVENT_MESSAGE_ATTRIBUTES.eventId]: { DataType: 'String', StringValue: event.eventId },
          [EVENT_MESSAGE_ATTRIBUTES.eventType]: { DataType: 'String', StringValue: event.eventType },
          [EVENT_MESSAGE_ATTRIBUTES.eventCreated]: { DataType: 'Number', StringValue: String(event.created) },
        },
      }),
    );
  }
}
