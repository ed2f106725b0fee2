/** Customer e-mail. Adapters: SES (production) and a folder of files (local runs and tests). */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Which message this is (license_delivered, payment_failed, …): used for tagging and by tests. */
  template: string;
  /** Purchase the message is about (for the local outbox file name and SES tags). */
  purchaseId: string;
  /** Stable id so a retried send can be recognized (`<eventId>:<template>`). */
  messageId: string;
}

export interface Notifier {
  send(message: EmailMessage): Promise<void>;
}

/** SES did not send the message. `retryable` says whether sending it again can succeed. */
export class EmailSendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** SES error name (e.g. `MessageRejected`, `TooManyRequestsException`), or the transport error's name. */
    readonly code: string,
    /** HTTP status, when SES answered. */
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmailSendError';
  }
}

/** Final: SES refused this message or its recipient address. */
export class EmailRejectedError extends EmailSendError {
  constructor(message: string, code: string, status: number | undefined, options?: { cause?: unknown }) {
    super(message, false, code, status, options);
    this.name = 'EmailRejectedError';
  }
}

/** Not sent this time; retry the event later. */
export class EmailRetryableError extends EmailSendError {
  constructor(message: string, code: string, status: number | undefined, options?: { cause?: unknown }) {
    super(message, true, code, status, options);
    this.name = 'EmailRetryableError';
  }
}
