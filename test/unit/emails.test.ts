import {
  EMAIL_TEMPLATES,
  escapeHtml,
  formatDateUtc,
  renderEmail,
  type EmailRequest,
  type EmailTemplate,
} from '../../lambdas/domain/emails';
import type { EmailConfig } from '../../lambdas/domain/plans';

const config: EmailConfig = {
  from: 'licenses@example.com',
  productName: 'Example SaaS',
  paymentUpdateUrl: 'https://billing.example.com/update-payment',
  supportUrl: 'https://example.com/support',
};

const KEY = 'TOKEY-7F3A-91BC-SECRET';
/** 3 March 2027 00:00:00 UTC. */
const MARCH_3_2027 = Date.UTC(2027, 2, 3) / 1000;

/** One request per template with every optional field set… */
type RequestOf = { [T in EmailTemplate]: Extract<EmailRequest, { template: T }> };

const full: RequestOf = {
  license_delivered: { template: 'license_delivered', customerName: 'Ada Lovelace', tierName: 'professional', maxDomains: 10, features: ['basic', 'api', 'floating'], expiresAt: MARCH_3_2027, licenseKey: KEY },
  payment_failed: { template: 'payment_failed', customerName: 'Ada Lovelace', tierName: 'professional', daysUntilDowngrade: 7, daysUntilSuspension: 14, paymentUpdateUrl: 'https://invoice.stripe.com/i/acct_1/inv_1' },
  payment_reminder: { template: 'payment_reminder', customerName: 'Ada Lovelace', tierName: 'professional', daysUntilDowngrade: 4, daysUntilSuspension: 11, paymentUpdateUrl: 'https://invoice.stripe.com/i/acct_1/inv_1' },
  downgraded: { template: 'downgraded', customerName: 'Ada Lovelace', originalTierName: 'professional', tierName: 'free', maxDomains: 1, daysUntilSuspension: 7, paymentUpdateUrl: 'https://invoice.stripe.com/i/acct_1/inv_1' },
  suspended: { template: 'suspended', customerName: 'Ada Lovelace', tierName: 'professional', reason: 'payment', paymentUpdateUrl: 'https://invoice.stripe.com/i/acct_1/inv_1' },
  reactivated: { template: 'reactivated', customerName: 'Ada Lovelace', tierName: 'professional', maxDomains: 10, features: ['basic', 'api'], expiresAt: MARCH_3_2027 },
  revoked: { template: 'revoked', customerName: 'Ada Lovelace', tierName: 'professional', reason: 'canceled' },
  plan_changed: { template: 'plan_changed', customerName: 'Ada Lovelace', previousTierName: 'starter', tierName: 'business', maxDomains: 25, features: ['basic', 'sso'], expiresAt: MARCH_3_2027, newKey: true, licenseKey: KEY },
};

/** …and one with the optional fields left out (no name, no per-customer link, perpetual, no key). */
const minimal: RequestOf = {
  license_delivered: { template: 'license_delivered', customerName: null, tierName: 'starter', maxDomains: 1, features: [], expiresAt: null, licenseKey: KEY },
  payment_failed: { template: 'payment_failed', customerName: null, tierName: 'starter', daysUntilDowngrade: 7, daysUntilSuspension: 14 },
  payment_reminder: { template: 'payment_reminder', customerName: null, tierName: 'starter', daysUntilDowngrade: 1, daysUntilSuspension: 8 },
  downgraded: { template: 'downgraded', customerName: null, originalTierName: 'starter', tierName: 'free', maxDomains: 1, daysUntilSuspension: 0 },
  suspended: { template: 'suspended', customerName: null, tierName: 'starter', reason: 'paused' },
  reactivated: { template: 'reactivated', customerName: null, tierName: 'starter', maxDomains: 3, features: [], expiresAt: null },
  revoked: { template: 'revoked', customerName: null, tierName: 'starter', reason: 'refunded' },
  plan_changed: { template: 'plan_changed', customerName: null, previousTierName: null, tierName: 'business', maxDomains: 25, features: [], expiresAt: null, newKey: false },
};

describe('renderEmail', () => {
  describe.each(EMAIL_TEMPLATES)('%s', (template) => {
    it.each([['with optional fields', full[template]], ['without optional fields', minimal[template]]])('renders %s: subject, text and a complete HTML document', (_label, request) => {
      const email = renderEmail(request, config);

      expect(email.subject).toContain('Example SaaS');
      expect(email.subject).not.toMatch(/[\r\n]/);
      expect(email.text).toMatch(request.customerName ? /^Hi Ada Lovelace,\n/ : /^Hello,\n/);
      expect(email.text).toContain('-- The Example SaaS team');
      expect(email.text).toContain(config.supportUrl);
      expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
      expect(email.html).toContain(`<a href="${config.supportUrl}">`);
      expect(email.html.trimEnd()).toMatch(/<\/html>$/);
      // Text is wrapped for reading in a terminal; only an unbreakable URL may run past 72 columns.
      for (const line of email.text.split('\n')) {
        if (line.length > 72) expect(line).toMatch(/https?:\/\/\S+$/);
      }
    });

    it('is deterministic', () => {
      expect(renderEmail(full[template], config)).toEqual(renderEmail(full[template], config));
    });
  });

  describe('the license key', () => {
    const carriesKey = (request: EmailRequest) =>
      request.template === 'license_delivered' || (request.template === 'plan_changed' && request.newKey);

    it.each([...Object.values(full), ...Object.values(minimal)].map((r) => [r.template, r] as const))(
      '%s: key only in the bodies of license_delivered and a re-issuing plan_changed, never in a subject',
      (_template, request) => {
        const email = renderEmail(request, config);
        expect(email.subject).not.toContain(KEY);
        if (carriesKey(request)) {
          expect(email.text).toContain(`\n    ${KEY}\n`);
          expect(email.html).toContain(`>${KEY}</p>`);
        } else {
          expect(email.text).not.toContain(KEY);
          expect(email.html).not.toContain(KEY);
        }
      },
    );

    it('plan_changed without a new key tells the customer the key stays the same', () => {
      const email = renderEmail(minimal.plan_changed, config);
      expect(email.text).toContain('Your license key stays the same; there is nothing you need to do.');
      expect(email.text).not.toContain('new license key');
    });

    it('plan_changed with a new key says the old key stops working', () => {
      const email = renderEmail(full.plan_changed, config);
      expect(email.subject).toBe('Your Example SaaS plan is now Business: your new license key');
      expect(email.text).toContain('Your Example SaaS plan has changed from Starter to Business.');
      expect(email.text).toMatch(/the old key no\s+longer works/);
    });
  });

  describe('the full license-delivered message', () => {
    it('reads as a newcomer would expect', () => {
      expect(renderEmail(full.license_delivered, config)).toMatchObject({
        subject: 'Your Example SaaS license key',
        text: [
          'Hi Ada Lovelace,',
          '',
          'Thank you for your purchase. Your Example SaaS license is ready to use.',
          '',
          'Your license key:',
          '',
          `    ${KEY}`,
          '',
          'To activate Example SaaS, enter this key where it asks for a license',
          'key. Keep the key private: anyone who has it can use your license.',
          '',
          'Your license',
          '  Plan:          Professional',
          '  Domains:       up to 10 domains',
          '  Features:      basic, api, floating',
          '  License term:  valid until 3 March 2027',
          '',
          'Questions? Our support team is here to help: https://example.com/support',
          '',
          '-- The Example SaaS team',
          '',
        ].join('\n'),
      });
    });
  });

  describe('expiry', () => {
    it('formats dates in UTC, whatever the hour', () => {
      expect(formatDateUtc(MARCH_3_2027)).toBe('3 March 2027');
      expect(formatDateUtc(MARCH_3_2027 + 86_399)).toBe('3 March 2027');
      expect(formatDateUtc(MARCH_3_2027 - 1)).toBe('2 March 2027');
      expect(formatDateUtc(Date.UTC(2026, 11, 31, 23, 59) / 1000)).toBe('31 December 2026');
    });

    it('refuses a millisecond timestamp instead of printing a date far in the future', () => {
      expect(() => formatDateUtc(MARCH_3_2027 * 1000)).toThrow(RangeError);
      expect(() => formatDateUtc(Number.NaN)).toThrow(RangeError);
    });

    it.each(['license_delivered', 'reactivated', 'plan_changed'] as const)('%s says "never expires" for a perpetual license and a date otherwise', (template) => {
      const perpetual = renderEmail(minimal[template], config);
      expect(perpetual.text).toContain('License term:  never expires');
      expect(perpetual.html).toContain('>never expires</td>');

      const dated = renderEmail(full[template], config);
      expect(dated.text).toContain('valid until 3 March 2027');
      expect(dated.text).not.toContain('never expires');
    });
  });

  describe('telling the customer what to do', () => {
    it.each(['payment_failed', 'payment_reminder', 'downgraded'] as const)('%s links to the payment update page, per customer when given', (template) => {
      const own = renderEmail(full[template], config);
      expect(own.text).toContain('Update your payment method:\n  https://invoice.stripe.com/i/acct_1/inv_1');
      expect(own.html).toContain('<a href="https://invoice.stripe.com/i/acct_1/inv_1"');

      const configured = renderEmail(minimal[template], config);
      expect(configured.text).toContain(`Update your payment method:\n  ${config.paymentUpdateUrl}`);
      expect(configured.html).toContain(`<a href="${config.paymentUpdateUrl}"`);
    });

    it('payment_failed explains the ladder and that the license still works', () => {
      const text = renderEmail(full.payment_failed, config).text.replace(/\s+/g, ' ');
      expect(text).toContain('Your license keeps working for now.');
      expect(text).toContain('limited to the free plan in 7 days and suspended in 14 days');
    });

    it('payment_reminder counts down in days, "tomorrow" for one', () => {
      expect(renderEmail(full.payment_reminder, config).text.replace(/\s+/g, ' ')).toContain('in 4 days it will be limited to the free plan, and in 11 days it will be suspended');
      expect(renderEmail(minimal.payment_reminder, config).text.replace(/\s+/g, ' ')).toContain('tomorrow it will be limited');
    });

    it('downgraded names the new limits and how to get the paid plan back', () => {
      const text = renderEmail(full.downgraded, config).text.replace(/\s+/g, ' ');
      expect(text).toContain('now has the limits of the Free plan: 1 domain');
      expect(text).toContain('get your Professional plan back right away');
      expect(text).toContain('outstanding in 7 days, the license will be suspended');
    });

    it.each([
      ['payment', 'because the payment for it is still outstanding', 'Update your payment method:\n  https://billing.example.com/update-payment'],
      ['paused', 'subscription is paused', 'Manage your subscription:\n  https://billing.example.com/update-payment'],
      ['dispute', 'has been disputed with your bank', 'Contact support:\n  https://example.com/support'],
    ] as const)('suspended (%s) explains why and what to do', (reason, why, action) => {
      const email = renderEmail({ template: 'suspended', customerName: null, tierName: 'starter', reason }, config);
      expect(email.subject).toBe('Your Example SaaS license is suspended');
      expect(email.text.replace(/\s+/g, ' ')).toContain(why);
      expect(email.text).toContain(action);
      expect(email.text.replace(/\s+/g, ' ')).toContain('key does not work');
    });

    it.each([
      ['canceled', 'subscription has ended'],
      ['dispute_lost', 'outcome of the payment dispute'],
      ['refunded', 'refunded in full'],
    ] as const)('revoked (%s) explains why, that the key stops working, and where to get help', (reason, why) => {
      const email = renderEmail({ template: 'revoked', customerName: null, tierName: 'starter', reason }, config);
      const text = email.text.replace(/\s+/g, ' ');
      expect(text).toContain(why);
      expect(text).toContain('Your license key no longer works.');
      expect(email.text).toContain('Contact support:\n  https://example.com/support');
    });

    it('reactivated says the same key works again', () => {
      expect(renderEmail(full.reactivated, config).text.replace(/\s+/g, ' ')).toContain('Your license key works as before');
    });
  });

  describe('escaping and untrusted input', () => {
    const hostile = '<script>alert("x")</script> & \'friends\'';

    it('escapes the customer name in HTML and keeps it verbatim in text', () => {
      const email = renderEmail({ ...full.reactivated, customerName: hostile }, config);
      expect(email.html).not.toContain('<script>');
      expect(email.html).toContain('Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;,');
      expect(email.text).toContain(`Hi ${hostile},`);
    });

    it('escapes config strings and tier/feature names too', () => {
      const email = renderEmail(
        { ...full.reactivated, tierName: '<b>pro</b>', features: ['<img src=x onerror=alert(1)>'] },
        { ...config, productName: 'Acme & <Co>', supportUrl: 'https://example.com/support?a=1&b="2"' },
      );
      expect(email.html).not.toMatch(/<(b|img|Co)\b/);
      expect(email.html).toContain('Acme &amp; &lt;Co&gt;');
      expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(email.html).toContain('href="https://example.com/support?a=1&amp;b=&quot;2&quot;"');
      expect(email.html).toContain('<title>Your Acme &amp; &lt;Co&gt; license is active again</title>');
    });

    it('never turns a non-http payment link into an href; falls back to the configured page', () => {
      const email = renderEmail({ ...full.payment_failed, paymentUpdateUrl: 'javascript:alert(1)' }, config);
      expect(email.html).not.toContain('javascript:');
      expect(email.html).toContain(`<a href="${config.paymentUpdateUrl}"`);
    });

    it('keeps a name with line breaks on one line (greeting and no header injection in subjects)', () => {
      const email = renderEmail({ ...full.revoked, customerName: 'Eve\r\nBcc: victim@example.com' }, { ...config, productName: 'Example\r\nSaaS' });
      expect(email.text).toMatch(/^Hi Eve Bcc: victim@example.com,\n/);
      expect(email.subject).toBe('Your Example SaaS license has ended');
    });

    it('greets with "Hello," when the name is blank', () => {
      expect(renderEmail({ ...full.revoked, customerName: '  \n ' }, config).text).toMatch(/^Hello,\n/);
    });

    it('escapeHtml covers the five special characters', () => {
      expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    });
  });
});
