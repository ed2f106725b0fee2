/**
 * Notifier for deployed stacks: one SES v2 SendEmail per message (simple content: subject, text
 * and HTML, UTF-8). The sender is the configured identity (plans config `email.from`), which must
 * be verified in SES in the deployed account.
 *
 * Failures are sorted for the caller:
 * - EmailRejectedError (final): SES refused this message or its recipient (MessageRejected, or
 *   BadRequestException, which is how SES v2 reports an illegal or empty address). Sending it again
 *   gives the same answer.
 * - EmailRetryableError: everything else. Throttling, 5xx and network errors pass with time; the
 *   account- and setup-level refusals (sending paused, account suspended, MAIL FROM domain not
 *   verified, missing configuration set, denied IAM) need on-call to fix something, after which a
 *   retry or a DLQ redrive sends the customer's e-mail. Treating those as final would lose it.
 *   A network error may hide a send that happened, so a retry can deliver twice: acceptable for
 *   an e-mail, where a missing license key is not.
 *
 * Nothing here logs, and errors carry only the template, purchase, message id and SES's own
 * error: never the body, which can hold a license key.
 */
import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from '@aws-sdk/client-sesv2';
import { EmailRejectedError, EmailRetryableError, EmailSendError, type EmailMessage, type Notifier } from '../ports/notifier';

export { EmailRejectedError, EmailRetryableError, EmailSendError } from '../ports/notifier';

export interface SesNotifierOptions {
  client: SESv2Client;
  /** Verified SES identity, e.g. `licenses@example.com` or `Example SaaS <licenses@example.com>`. */
  from: string;
  /** SES configuration set (event publishing: bounces, complaints, deliveries). */
  configurationSetName?: string;
}

/** SES errors that are about this message or its recipient, not about us or SES's health. */
const REJECTED_CODES = new Set(['MessageRejected', 'BadRequestException']);

export class SesNotifier implements Notifier {
  constructor(private readonly options: SesNotifierOptions) {}

  async send(message: EmailMessage): Promise<void> {
    try {
      await this.options.client.send(new SendEmailCommand(this.toSendEmailInput(message)));
    } catch (error) {
      throw toEmailSendError(error, message);
    }
  }

  /** The exact SendEmail request for a message (public so the mapping can be read and tested as one piece). */
  toSendEmailInput(message: EmailMessage): SendEmailCommandInput {
    return {
      FromEmailAddress: this.options.from,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: message.text, Charset: 'UTF-8' },
            Html: { Data: message.html, Charset: 'UTF-8' },
          },
        },
      },
      EmailTags: [
        { Name: 'template', Value: sesTagValue(message.template) },
        { Name: 'purchase_id', Value: sesTagValue(message.purchaseId) },
        { Name: 'message_id', Value: sesTagValue(message.messageId) },
      ],
      ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
    };
  }
}

/** SES tag values allow only ASCII letters, digits, `_` and `-`, at most 256 characters, not empty. */
export function sesTagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || 'none';
}

function toEmailSendError(error: unknown, message: EmailMessage): EmailSendError {
  const code = error instanceof Error ? error.name : 'Unknown';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const reason = error instanceof Error ? error.message : String(error);
  const about = `${message.template} e-mail for purchase ${message.purchaseId} (message ${message.messageId})`;
  return REJECTED_CODES.has(code)
    ? new EmailRejectedError(`SES rejected the ${about}: ${code}: ${reason}`, code, status, { cause: error })
    : new EmailRetryableError(`SES did not send the ${about}, will retry: ${code}: ${reason}`, code, status, { cause: error });
}
