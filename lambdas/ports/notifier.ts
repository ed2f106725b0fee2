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
