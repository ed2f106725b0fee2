/**
 * Stripe-Signature verification with the stripe library, over every configured signing secret (a
 * secret being rolled has two). Returns a typed result: callers never see raw Stripe errors, whose
 * messages can describe the expected secret and the payload.
 */
import Stripe from 'stripe';

/** Stripe's recommended replay window, seconds (DESIGN §2). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureFailureReason =
  /** No Stripe-Signature header, or an empty one. */
  | 'missing_signature'
  /** A header without a timestamp or without any v1 signature. */
  | 'malformed_signature_header'
  /** No v1 signature matches any secret: tampered body, wrong/rolled secret, or not from Stripe. */
  | 'signature_mismatch'
  /** A signature matches, but it was made more than the tolerance ago (a replay or a stuck sender). */
  | 'timestamp_outside_tolerance';

export type SignatureCheck =
  | { valid: true; /** 0-based position of the secret that verified; shows when an old secret can go. */ matchedPosition: number }
  | { valid: false; reason: SignatureFailureReason };

export interface VerifySignatureInput {
  /** The raw body, exactly as received (after base64 decoding). */
  payload: string;
  signatureHeader: string | undefined;
  secrets: readonly string[];
  /** When the request arrived, Unix ms; defaults to now. */
  receivedAtMs?: number;
}

// The messages the stripe library uses for the failures we tell apart (stripe 23, Webhooks.js).
// A unit test per reason fails if a library upgrade changes them.
const STALE_TIMESTAMP_MESSAGE = 'Timestamp outside the tolerance zone';
const MALFORMED_HEADER_MESSAGES = ['Unable to extract timestamp and signatures from header', 'No signatures found with expected scheme'];

export function verifyStripeSignature(input: VerifySignatureInput): SignatureCheck {
  const header = input.signatureHeader?.trim();
  if (!header) return { valid: false, reason: 'missing_signature' };

  const signature = Stripe.webhooks.signature;
  if (!signature) throw new Error('stripe library has no webhook signature helper');
  const receivedAtMs = input.receivedAtMs ?? Date.now();

  for (const [position, secret] of input.secrets.entries()) {
    try {
      // verifyHeader is the check constructEvent runs, without also parsing the body: the envelope
      // parser decides what a malformed event is, after the signature has proven the sender.
      signature.verifyHeader(input.payload, header, secret, SIGNATURE_TOLERANCE_SECONDS, undefined, receivedAtMs);
      return { valid: true, matchedPosition: position };
    } catch (error) {
      const reason = classify(error);
      // A stale timestamp means this secret's signature matched; a malformed header fails every
      // secret alike. Only a mismatch is worth trying the next secret for.
      if (reason !== 'signature_mismatch') return { valid: false, reason };
    }
  }
  return { valid: false, reason: 'signature_mismatch' };
}

function classify(error: unknown): SignatureFailureReason {
  if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) return 'signature_mismatch';
  if (error.message === STALE_TIMESTAMP_MESSAGE) return 'timestamp_outside_tolerance';
  if (MALFORMED_HEADER_MESSAGES.includes(error.message)) return 'malformed_signature_header';
  return 'signature_mismatch';
}
