/**
 * checkout.session.* → CheckoutEvent. The session is where a purchase starts: its id becomes the
 * purchase key (subscription id, or payment intent id for one-time payments) and its metadata
 * carries the license terms, because Checkout line items are not part of the event (DESIGN §5).
 */
import type {
  CheckoutEvent,
  CheckoutLicenseMetadata,
  CustomerContact,
  EventEnvelope,
  NoPurchaseEvent,
} from '../domain/billing-event';
import type { PayloadNode } from './payload-reader';
import { quoted } from './quoted';

const PAYMENT_STATUSES: readonly string[] = ['paid', 'unpaid', 'no_payment_required'] satisfies CheckoutEvent['paymentStatus'][];

export function readCheckoutEvent(
  envelope: EventEnvelope,
  session: PayloadNode,
  phase: CheckoutEvent['phase'],
): CheckoutEvent | NoPurchaseEvent {
  const sessionId = session.string('id');
  const mode = session.string('mode');
  if (mode === 'setup') {
    // A setup session only saves a payment method (e.g. a card update): nothing is bought, so no
    // license follows from it, and it is not an error either.
    return { ...envelope, kind: 'no_purchase', reason: `setup-mode Checkout Session ${sessionId}: saves a payment method, nothing was bought` };
  }
  if (mode !== 'subscription' && mode !== 'payment') {
    session.fail('mode', `is ${quoted(mode)}; only subscription and payment checkouts carry a license`);
  }
  const paymentStatus = session.string('payment_status');
  if (!PAYMENT_STATUSES.includes(paymentStatus)) {
    session.fail('payment_status', `is ${quoted(paymentStatus)}; expected one of ${PAYMENT_STATUSES.join(', ')}`);
  }

  const subscriptionId = session.optionalId('subscription');
  const paymentIntentId = session.optionalId('payment_intent');
  const purchaseId =
    mode === 'subscription'
      ? (subscriptionId ?? session.fail('subscription', 'is missing: a subscription checkout must name its subscription'))
      : (paymentIntentId ??
        session.fail('payment_intent', 'is missing: a payment checkout must name its payment intent'));

  return {
    ...envelope,
    kind: 'checkout',
    phase,
    sessionId,
    mode,
    paymentStatus: paymentStatus as CheckoutEvent['paymentStatus'],
    purchaseId,
    subscriptionId,
    paymentIntentId,
    contact: readContact(session),
    metadata: readLicenseMetadata(session),
  };
}

function readContact(session: PayloadNode): CustomerContact {
  const details = session.optionalChild('customer_details');
  return {
    // dahlia: a session paid by an Accounts v2 customer has `customer: null` and `customer_account` set.
    customerId: session.optionalId('customer') ?? session.optionalString('customer_account'),
    // customer_details holds what the buyer typed at checkout; customer_email is what the integration prefilled.
    email: details?.optionalString('email') ?? session.optionalString('customer_email'),
    name:
      details?.optionalString('name') ??
      details?.optionalString('individual_name') ??
      details?.optionalString('business_name') ??
      null,
  };
}

function readLicenseMetadata(session: PayloadNode): CheckoutLicenseMetadata {
  const metadata = session.optionalChild('metadata');
  const result: CheckoutLicenseMetadata = {};
  if (metadata === null) return result;
  // Absent keys stay absent (not undefined-valued) so "missing metadata" is easy to tell and to print.
  const productId = metadata.optionalString('to_product_id');
  const tier = metadata.optionalString('to_license_tier');
  const maxDomains = metadata.optionalString('to_max_domains');
  if (productId !== null) result.productId = productId;
  if (tier !== null) result.tier = tier;
  if (maxDomains !== null) result.maxDomains = maxDomains;
  return result;
}
