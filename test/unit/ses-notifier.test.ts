import {
  BadRequestException,
  InternalServiceErrorException,
  MessageRejected,
  SendEmailCommand,
  SendingPausedException,
  SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EmailRejectedError,
  EmailRetryableError,
  EmailSendError,
  SesNotifier,
  sesTagValue,
} from '../../lambdas/adapters/ses-notifier';
import type { EmailMessage } from '../../lambdas/ports/notifier';

// There is no SES emulator: the mock replaces the client's `send` (AWS's side of the call). The
// command SesNotifier builds and its error handling are the real ones.
const client = new SESv2Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const ses = mockClient(client);

const KEY = 'TOKEY-7F3A-91BC-SECRET';

const message: EmailMessage = {
  to: 'ada@example.com',
  subject: 'Your Example SaaS license key',
  text: `Hi Ada,\n\n    ${KEY}\n`,
  html: `<p>Hi Ada,</p><p>${KEY}</p>`,
  template: 'license_delivered',
  purchaseId: 'sub_1Pq2Rs',
  messageId: 'evt_1ABC:license_delivered',
};

const sesError = <T extends SESv2ServiceException>(Ctor: new (opts: any) => T, httpStatusCode: number, text: string): T =>
  new Ctor({ message: text, $metadata: { httpStatusCode } });

describe('SesNotifier', () => {
  beforeEach(() => ses.reset());

  it('sends one SendEmail with simple content, the configured sender, configuration set and sanitized tags', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    await new SesNotifier({ client, from: 'Example SaaS <licenses@example.com>', configurationSetName: 'licensing' }).send(message);

    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      FromEmailAddress: 'Example SaaS <licenses@example.com>',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Your Example SaaS license key', Charset: 'UTF-8' },
          Body: {
            Text: { Data: message.text, Charset: 'UTF-8' },
            Html: { Data: message.html, Charset: 'UTF-8' },
          },
        },
      },
      EmailTags: [
        { Name: 'template', Value: 'license_delivered' },
        { Name: 'purchase_id', Value: 'sub_1Pq2Rs' },
        { Name: 'message_id', Value: 'evt_1ABC_license_delivered' },
      ],
      ConfigurationSetName: 'licensing',
    });
  });

  it('leaves ConfigurationSetName out when none is configured', async () => {
    ses.on(SendEmailCommand).resolves({});
    await new SesNotifier({ client, from: 'licenses@example.com' }).send(message);
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input).not.toHaveProperty('ConfigurationSetName');
  });

  it('sanitizes tag values to the SES charset and length', () => {
    expect(sesTagValue('evt_1:payment_failed')).toBe('evt_1_payment_failed');
    expect(sesTagValue('pi_3N/ä b')).toBe('pi_3N___b');
    expect(sesTagValue('x'.repeat(300))).toHaveLength(256);
    expect(sesTagValue('')).toBe('none');
    for (const value of ['a:b', 'ü', '<>', 'sub_1-2']) expect(sesTagValue(value)).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
  });

  describe('errors', () => {
    const notifier = new SesNotifier({ client, from: 'licenses@example.com' });

    it.each([
      ['MessageRejected', sesError(MessageRejected, 400, 'Email address is not verified.')],
      ['BadRequestException', sesError(BadRequestException, 400, 'Illegal address')],
    ])('%s is final: EmailRejectedError', async (code, error) => {
      ses.on(SendEmailCommand).rejects(error);
      const thrown = await notifier.send(message).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(EmailRejectedError);
      expect(thrown).toBeInstanceOf(EmailSendError);
      expect(thrown).toMatchObject({ retryable: false, code, status: 400 });
      expect((thrown as Error).cause).toBe(error);
    });

    it.each([
      ['TooManyRequestsException', sesError(TooManyRequestsException, 429, 'Maximum sending rate exceeded.'), 429],
      ['InternalServiceErrorException', sesError(InternalServiceErrorException, 500, 'internal'), 500],
      // An account-level stop is for on-call to fix; the e-mail must survive it (retry, then DLQ and redrive).
      ['SendingPausedException', sesError(SendingPausedException, 400, 'sending paused'), 400],
    ])('%s is retryable: EmailRetryableError', async (code, error, status) => {
      ses.on(SendEmailCommand).rejects(error);
      const thrown = await notifier.send(message).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(EmailRetryableError);
      expect(thrown).toMatchObject({ retryable: true, code, status });
    });

    it('a generic 5xx service error is retryable', async () => {
      ses.on(SendEmailCommand).rejects(new SESv2ServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'unavailable' }));
      await expect(notifier.send(message)).rejects.toMatchObject({ name: 'EmailRetryableError', retryable: true, code: 'ServiceUnavailable', status: 503 });
    });

    it('a network error (no answer from SES) is retryable', async () => {
      const reset = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
      ses.on(SendEmailCommand).rejects(reset);
      await expect(notifier.send(message)).rejects.toMatchObject({ name: 'EmailRetryableError', retryable: true, code: 'TimeoutError', status: undefined });
    });

    it('never puts the body, subject or key in the error message', async () => {
      ses.on(SendEmailCommand).rejects(sesError(MessageRejected, 400, 'rejected'));
      const thrown = (await notifier.send(message).catch((e: unknown) => e)) as Error;
      expect(thrown.message).toBe('SES rejected the license_delivered e-mail for purchase sub_1Pq2Rs (message evt_1ABC:license_delivered): MessageRejected: rejected');
      expect(thrown.message).not.toContain(KEY);
      expect(JSON.stringify(thrown)).not.toContain(KEY);
    });
  });
});
