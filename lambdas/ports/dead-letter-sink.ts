/**
 * Where an event goes when retrying cannot help (a final business error or an unparseable body):
 * straight to the dead-letter queue, with its reason, instead of burning the queue's retries.
 */
export interface DeadLetter {
  body: string;
  eventId: string | null;
  eventType: string | null;
  reason: string;
  message: string;
}

export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}
