import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterSink } from '../ports/dead-letter-sink';
import { EVENT_MESSAGE_ATTRIBUTES } from './sqs-event-queue';

/** Attributes a dead-lettered message carries beside the event's own (the DLQ tools read them). */
export const DEAD_LETTER_ATTRIBUTES = {
  failureReason: 'failureReason',
  failureMessage: 'failureMessage',
} as const;

/** Sends a failed event to the SQS dead-letter queue, body unchanged so a redrive replays it as Stripe sent it. */
export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string) {}

  async send(letter: DeadLetter): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      [DEAD_LETTER_ATTRIBUTES.failureReason]: { DataType: 'String', StringValue: letter.reason },
      // SQS caps attribute values at 256 KiB; the message is a sentence, but keep it bounded.
      [DEAD_LETTER_ATTRIBUTES.failureMessage]: { DataType: 'String', StringValue: letter.message.slice(0, 1000) || '-' },
    };
    if (letter.eventId) attributes[EVENT_MESSAGE_ATTRIBUTES.eventId] = { DataType: 'String', StringValue: letter.eventId };
    if (letter.eventType) attributes[EVENT_MESSAGE_ATTRIBUTES.eventType] = { DataType: 'String', StringValue: letter.eventType };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: letter.body, MessageAttributes: attributes }));
  }
}
