/**
 * Customer e-mails, rendered: one pure function from "what happened" to subject, plain text and
 * HTML. No I/O; the Notifier adapters (SES, a local folder) only deliver what this produces.
 *
 * Each template is first described as a list of blocks (paragraphs, a license-key box, a details
 * table, a call to action) and the same blocks are then rendered twice, as text and as HTML. That
 * keeps both parts saying the same thing and puts HTML escaping in exactly one place: every string
 * that reaches the HTML (customer name, tier names, features, product name, URLs) goes through
 * `escapeHtml`, so a name like `<script>` arrives as text.
 *
 * The license key is a secret. Only two requests can carry one (license_delivered, and
 * plan_changed with `newKey: true`), the types make that explicit, and it is never put in a subject
 * (subjects show up in notification previews and mail logs).
 */
import type { EmailConfig } from './plans';

export const EMAIL_TEMPLATES = [
  'license_delivered',
  'payment_failed',
  'payment_reminder',
  'downgraded',
  'suspended',
  'reactivated',
  'revoked',
  'plan_changed',
] as const;

export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** Why a license is suspended: the dunning ladder ran out, the customer paused, or a payment is disputed. */
export type SuspensionReason = 'payment' | 'paused' | 'dispute';

/** Why a license ended for good. */
export type RevokeReason = 'canceled' | 'dispute_lost' | 'refunded';

interface Addressee {
  /** As the customer gave it to Stripe; null when unknown (the greeting then says "Hello,"). */
  customerName: string | null;
}

/** What the customer's license allows now. */
interface LicenseTerms {
  /** Tier name from the plans config (e.g. `professional`); shown capitalized. */
  tierName: string;
  maxDomains: number;
  features: string[];
  /** Unix seconds; null = perpetual ("never expires"). */
  expiresAt: number | null;
}

interface PaymentLink {
  /**
   * Where this customer fixes the payment (e.g. the invoice's hosted page). Optional: the
   * configured `email.paymentUpdateUrl` is used when absent or not an http(s) URL.
   */
  paymentUpdateUrl?: string | null;
}

export interface LicenseDeliveredEmail extends Addressee, LicenseTerms {
  template: 'license_delivered';
  /** Secret. */
  licenseKey: string;
}

/** Day 0 of the grace ladder: the license still works. */
export interface PaymentFailedEmail extends Addressee, PaymentLink {
  template: 'payment_failed';
  tierName: string;
  daysUntilDowngrade: number;
  daysUntilSuspension: number;
}

/** Reminder step of the grace ladder (day 3 by default): still works, link again. */
export interface PaymentReminderEmail extends Addressee, PaymentLink {
  template: 'payment_reminder';
  tierName: string;
  daysUntilDowngrade: number;
  daysUntilSuspension: number;
}

/** Downgrade step (day 7 by default): limited to the free tier until the payment succeeds. */
export interface DowngradedEmail extends Addressee, PaymentLink {
  template: 'downgraded';
  /** The tier the customer pays for, restored once the payment succeeds. */
  originalTierName: string;
  /** The free tier now in force, and its domain limit. */
  tierName: string;
  maxDomains: number;
  daysUntilSuspension: number;
}

export interface SuspendedEmail extends Addressee, PaymentLink {
  template: 'suspended';
  tierName: string;
  reason: SuspensionReason;
}

export interface ReactivatedEmail extends Addressee, LicenseTerms {
  template: 'reactivated';
}

export interface RevokedEmail extends Addressee {
  template: 'revoked';
  tierName: string;
  reason: RevokeReason;
}

interface PlanChangedBase extends Addressee, LicenseTerms {
  template: 'plan_changed';
  /** The tier before the change, when known. */
  previousTierName: string | null;
}

/**
 * A plan change either keeps the key (changed in place) or re-issues the license with a new key,
 * which the customer must install; only then is the key part of the message.
 */
export type PlanChangedEmail =
  | (PlanChangedBase & { newKey: true; /** Secret. */ licenseKey: string })
  | (PlanChangedBase & { newKey: false; licenseKey?: never });

export type EmailRequest =
  | LicenseDeliveredEmail
  | PaymentFailedEmail
  | PaymentReminderEmail
  | DowngradedEmail
  | SuspendedEmail
  | ReactivatedEmail
  | RevokedEmail
  | PlanChangedEmail;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Renders one customer e-mail. Deterministic: the same request and config give the same bytes. */
export function renderEmail(request: EmailRequest, email: EmailConfig): RenderedEmail {
  const content = compose(request, email);
  const subject = singleLine(content.subject);
  const blocks: Block[] = [
    { kind: 'paragraph', text: greeting(request.customerName) },
    ...content.blocks,
    { kind: 'paragraph', text: 'Questions? Our support team is here to help:', link: email.supportUrl },
    { kind: 'signature', text: `The ${email.productName} team` },
  ];
  return { subject, text: renderText(blocks), html: renderHtml(subject, blocks) };
}

// ---------------------------------------------------------------------------------------------
// What each message says

type Block =
  /** `link`, when set, follows the text (a clickable address in HTML). */
  | { kind: 'paragraph'; text: string; link?: string }
  /** The license key, set apart so it can be copied. */
  | { kind: 'key'; key: string }
  | { kind: 'details'; title: string; rows: Array<[label: string, value: string]> }
  /** The one thing the customer should do, as a link (a button in HTML). */
  | { kind: 'action'; label: string; url: string }
  | { kind: 'signature'; text: string };

interface Content {
  subject: string;
  blocks: Block[];
}

function compose(request: EmailRequest, email: EmailConfig): Content {
  const product = email.productName;
  switch (request.template) {
    case 'license_delivered':
      return {
        subject: `Your ${product} license key`,
        blocks: [
          { kind: 'paragraph', text: `Thank you for your purchase. Your ${product} license is ready to use.` },
          { kind: 'paragraph', text: 'Your license key:' },
          { kind: 'key', key: request.licenseKey },
          { kind: 'paragraph', text: `To activate ${product}, enter this key where it asks for a license key. Keep the key private: anyone who has it can use your license.` },
          licenseDetails(request),
        ],
      };

    case 'payment_failed': {
      const tier = displayTier(request.tierName);
      return {
        subject: `Action needed: your ${product} payment failed`,
        blocks: [
          { kind: 'paragraph', text: `We could not collect your latest payment for your ${product} ${tier} plan. Your license keeps working for now.` },
          { kind: 'paragraph', text: `Please update your payment method so the payment can go through. If it is still outstanding, your license will be limited to the free plan ${inDays(request.daysUntilDowngrade)} and suspended ${inDays(request.daysUntilSuspension)}. Once the payment succeeds, nothing changes for you.` },
          paymentAction(request, email),
        ],
      };
    }

    case 'payment_reminder': {
      const tier = displayTier(request.tierName);
      return {
        subject: `Reminder: please update your payment method for ${product}`,
        blocks: [
          { kind: 'paragraph', text: `The payment for your ${product} ${tier} plan is still outstanding. Your license still works, but ${inDays(request.daysUntilDowngrade)} it will be limited to the free plan, and ${inDays(request.daysUntilSuspension)} it will be suspended.` },
          { kind: 'paragraph', text: 'To keep your plan, please update your payment method. If you have already done so, thank you: the license stays as it is once the payment succeeds.' },
          paymentAction(request, email),
        ],
      };
    }

    case 'downgraded': {
      const original = displayTier(request.originalTierName);
      return {
        subject: `Your ${product} license has been limited`,
        blocks: [
          { kind: 'paragraph', text: `Because the payment for your ${original} plan is still outstanding, your ${product} license now has the limits of the ${displayTier(request.tierName)} plan: ${domainLimit(request.maxDomains)}. Your license key still works.` },
          { kind: 'paragraph', text: `Update your payment method to get your ${original} plan back right away. If the payment is still outstanding ${inDays(request.daysUntilSuspension)}, the license will be suspended.` },
          paymentAction(request, email),
        ],
      };
    }

    case 'suspended':
      return { subject: `Your ${product} license is suspended`, blocks: suspendedBlocks(request, email) };

    case 'reactivated':
      return {
        subject: `Your ${product} license is active again`,
        blocks: [
          { kind: 'paragraph', text: `Good news: your ${product} license is active again. Your license key works as before; there is nothing you need to do.` },
          licenseDetails(request),
        ],
      };

    case 'revoked':
      return { subject: `Your ${product} license has ended`, blocks: revokedBlocks(request, email) };

    case 'plan_changed': {
      const tier = displayTier(request.tierName);
      const change = request.previousTierName === null
        ? `Your ${product} plan is now ${tier}.`
        : `Your ${product} plan has changed from ${displayTier(request.previousTierName)} to ${tier}.`;
      const keyBlocks: Block[] = request.newKey
        ? [
            { kind: 'paragraph', text: 'This plan comes with a new license key. Replace your old key with this one wherever you use it; the old key no longer works.' },
            { kind: 'paragraph', text: 'Your new license key:' },
            { kind: 'key', key: request.licenseKey },
            { kind: 'paragraph', text: 'Keep the key private: anyone who has it can use your license.' },
          ]
        : [{ kind: 'paragraph', text: 'Your license key stays the same; there is nothing you need to do.' }];
      return {
        subject: request.newKey ? `Your ${product} plan is now ${tier}: your new license key` : `Your ${product} plan is now ${tier}`,
        blocks: [{ kind: 'paragraph', text: change }, ...keyBlocks, licenseDetails(request)],
      };
    }
  }
}

function suspendedBlocks(request: SuspendedEmail, email: EmailConfig): Block[] {
  const product = email.productName;
  const tier = displayTier(request.tierName);
  switch (request.reason) {
    case 'payment':
      return [
        { kind: 'paragraph', text: `Your ${product} ${tier} license is suspended because the payment for it is still outstanding. While it is suspended, your license key does not work.` },
        { kind: 'paragraph', text: 'Your license has not been deleted. Update your payment method, and the same key works again as soon as the payment succeeds.' },
        paymentAction(request, email),
      ];
    case 'paused':
      return [
        { kind: 'paragraph', text: `Your ${product} subscription is paused, so your ${tier} license is suspended while the pause lasts. While it is suspended, your license key does not work.` },
        { kind: 'paragraph', text: 'Your license and data are kept. Resume your subscription whenever you are ready, and the same key works again.' },
        { kind: 'action', label: 'Manage your subscription', url: paymentUrl(request, email) },
      ];
    case 'dispute':
      return [
        { kind: 'paragraph', text: `Your ${product} ${tier} license is suspended because a payment for it has been disputed with your bank or card issuer. While it is suspended, your license key does not work.` },
        { kind: 'paragraph', text: 'Your license has not been deleted. If the dispute was a mistake, or you would like to settle it, please contact our support team. The license becomes active again once the dispute is resolved.' },
        { kind: 'action', label: 'Contact support', url: email.supportUrl },
      ];
  }
}

function revokedBlocks(request: RevokedEmail, email: EmailConfig): Block[] {
  const product = email.productName;
  const tier = displayTier(request.tierName);
  const why: Record<RevokeReason, string> = {
    canceled: `Your ${product} subscription has ended, so your ${tier} license has been deactivated.`,
    dispute_lost: `Following the outcome of the payment dispute, your ${product} ${tier} license has been deactivated.`,
    refunded: `Your payment for ${product} has been refunded in full, so your ${tier} license has been deactivated.`,
  };
  return [
    { kind: 'paragraph', text: `${why[request.reason]} Your license key no longer works.` },
    { kind: 'paragraph', text: `Thank you for using ${product}. You are welcome to purchase a new license at any time. If you think this is a mistake, please contact our support team.` },
    { kind: 'action', label: 'Contact support', url: email.supportUrl },
  ];
}

function licenseDetails(terms: LicenseTerms): Block {
  const rows: Array<[string, string]> = [
    ['Plan', displayTier(terms.tierName)],
    ['Domains', domainLimit(terms.maxDomains)],
  ];
  if (terms.features.length > 0) rows.push(['Features', terms.features.join(', ')]);
  rows.push(['License term', terms.expiresAt === null ? 'never expires' : `valid until ${formatDateUtc(terms.expiresAt)}`]);
  return { kind: 'details', title: 'Your license', rows };
}

function paymentAction(request: PaymentLink, email: EmailConfig): Block {
  return { kind: 'action', label: 'Update your payment method', url: paymentUrl(request, email) };
}

/** The per-customer link when it is a plain http(s) URL, else the configured one (never a `javascript:` href). */
function paymentUrl(request: PaymentLink, email: EmailConfig): string {
  const candidate = request.paymentUpdateUrl?.trim();
  return candidate && /^https?:\/\/\S+$/i.test(candidate) ? candidate : email.paymentUpdateUrl;
}

// ---------------------------------------------------------------------------------------------
// Wording helpers

function greeting(customerName: string | null): string {
  const name = customerName === null ? '' : singleLine(customerName);
  return name === '' ? 'Hello,' : `Hi ${name},`;
}

/** `professional` → `Professional`; tier names are config keys. */
function displayTier(tierName: string): string {
  const name = singleLine(tierName);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function domainLimit(maxDomains: number): string {
  return maxDomains === 1 ? '1 domain' : `up to ${maxDomains} domains`;
}

function inDays(days: number): string {
  if (days <= 0) return 'today';
  if (days === 1) return 'tomorrow';
  return `in ${days} days`;
}

/** Collapses line breaks and runs of whitespace: keeps a name or subject on one line (no header injection). */
function singleLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Unix seconds → "3 March 2027", in UTC. Built by hand rather than with Intl so the output does
 * not depend on the runtime's locale data.
 */
export function formatDateUtc(unixSeconds: number): string {
  // A millisecond value here would print a date tens of thousands of years away: fail loudly instead.
  if (!Number.isFinite(unixSeconds) || unixSeconds > 1e11) throw new RangeError(`expected Unix seconds, got ${unixSeconds}`);
  const date = new Date(unixSeconds * 1000);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// ---------------------------------------------------------------------------------------------
// Rendering

const TEXT_WIDTH = 72;

function renderText(blocks: Block[]): string {
  const parts = blocks.map((block): string => {
    switch (block.kind) {
      case 'paragraph':
        return wrap(block.link === undefined ? block.text : `${block.text} ${block.link}`, TEXT_WIDTH);
      case 'key':
        return `    ${block.key}`;
      case 'details': {
        const width = Math.max(...block.rows.map(([label]) => label.length)) + 1;
        const rows = block.rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)}  ${value}`);
        return [block.title, ...rows].join('\n');
      }
      case 'action':
        return `${block.label}:\n  ${block.url}`;
      case 'signature':
        return `-- ${block.text}`;
    }
  });
  return `${parts.join('\n\n')}\n`;
}

/** Greedy word wrap; a word longer than the width (a URL) stays whole on its own line. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else { lines.push(line); line = word; }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

const STYLE = {
  body: 'margin:0;padding:24px;background:#f6f7f9;',
  card: 'max-width:600px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #e3e5e8;border-radius:6px;font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;',
  key: 'font-family:Menlo,Consolas,monospace;font-size:17px;padding:12px 16px;background:#f3f4f6;border:1px solid #d0d7de;border-radius:4px;word-break:break-all;',
  table: 'border-collapse:collapse;margin:0 0 16px 0;',
  label: 'padding:4px 16px 4px 0;color:#57606a;vertical-align:top;',
  value: 'padding:4px 0;',
  button: 'display:inline-block;padding:10px 18px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;',
  small: 'font-size:13px;color:#57606a;',
};

function renderHtml(subject: string, blocks: Block[]): string {
  const body = blocks.map((block): string => {
    switch (block.kind) {
      case 'paragraph': {
        if (block.link === undefined) return `<p>${escapeHtml(block.text)}</p>`;
        const url = escapeHtml(block.link);
        return `<p>${escapeHtml(block.text)} <a href="${url}">${url}</a></p>`;
      }
      case 'key':
        return `<p style="${STYLE.key}">${escapeHtml(block.key)}</p>`;
      case 'details': {
        const rows = block.rows
          .map(([label, value]) => `<tr><td style="${STYLE.label}">${escapeHtml(label)}</td><td style="${STYLE.value}">${escapeHtml(value)}</td></tr>`)
          .join('');
        return `<h3 style="margin:16px 0 8px 0;font-size:16px;">${escapeHtml(block.title)}</h3><table role="presentation" style="${STYLE.table}">${rows}</table>`;
      }
      case 'action': {
        const url = escapeHtml(block.url);
        return `<p><a href="${url}" style="${STYLE.button}">${escapeHtml(block.label)}</a></p>`
          + `<p style="${STYLE.small}">If the button does not work, copy this address into your browser: ${url}</p>`;
      }
      case 'signature':
        return `<p>${escapeHtml(block.text)}</p>`;
    }
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`,
    `<body style="${STYLE.body}"><div style="${STYLE.card}">`,
    ...body,
    '</div></body>',
    '</html>',
    '',
  ].join('\n');
}
