/**
 * Raw Stripe webhook JSON → normalized BillingEvent (or a NoPurchaseEvent to record as a no-op), for any API version from 2024-06-20 to
 * 2026-07-29.dahlia (DESIGN §5). Pure: no Stripe SDK, no AWS. Signature verification happens in
 * ingest before anything reaches this module.
 *
 * Failures are always ProcessingError:
 * - `unparseable_event`: not JSON, or not a Stripe event envelope (id, type, created, livemode, data.object).
 * - `unsupported_payload_shape`: a handled event whose object lacks a field we need, or carries
 *   one of an unexpected type; the message names the field path (`data.object.lines.data[0].period`).
 */
import {
  isHandledEventType,
  type EventEnvelope,
  type HandledEventType,
  type ParsedStripeEvent,
} from '../domain/billing-event';
import { ProcessingError } from '../domain/errors';
import { readDisputeEvent, readRefundEvent } from './charge';
import { readCheckoutEvent } from './checkout-session';
import { readInvoiceEvent } from './invoice';
import { readInvoicePaymentEvent } from './invoice-payment';
import { isJsonObject, PayloadNode } from './payload-reader';
import { quoted } from './quoted';
import { readSubscriptionEvent } from './subscription';

/** The envelope of any Stripe event, handled type or not (ingest uses it before deciding). */
export type StripeEventEnvelope = Omit<EventEnvelope, 'eventType'> & { eventType: string };

export function parseEventEnvelope(rawJson: string): StripeEventEnvelope {
  return readEvent(rawJson).envelope;
}

export function parseStripeEvent(rawJson: string): ParsedStripeEvent {
  const { envelope, data, object } = readEvent(rawJson);
  const { eventType } = envelope;
  if (!isHandledEventType(eventType)) {
    throw new ProcessingError(
      'unsupported_payload_shape',
      `event type ${quoted(eventType)} is not one this service handles (event ${envelope.eventId})`,
    );
  }
  try {
    const actualObject = object.optionalString('object');
    const expectedObject = EXPECTED_OBJECT[eventType];
    if (actualObject !== null && actualObject !== expectedObject) {
      object.fail('object', `is ${quoted(actualObject)}, but ${eventType} carries ${quoted(expectedObject)}`);
    }
    return READERS[eventType]({ ...envelope, eventType }, object, data);
  } catch (error) {
    // Name the event in the message: the DLQ record and the logs then read on their own.
    if (error instanceof ProcessingError) {
      throw new ProcessingError(error.reason, `${eventType} ${envelope.eventId}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

type Reader = (envelope: EventEnvelope, object: PayloadNode, data: PayloadNode) => ParsedStripeEvent;

/** One entry per handled type; the Record type makes a newly handled type a compile error here until mapped. */
const READERS: Record<HandledEventType, Reader> = {
  'checkout.session.completed': (e, o) => readCheckoutEvent(e, o, 'completed'),
  'checkout.session.async_payment_succeeded': (e, o) => readCheckoutEvent(e, o, 'async_succeeded'),
  'checkout.session.async_payment_failed': (e, o) => readCheckoutEvent(e, o, 'async_failed'),
  'customer.subscription.created': (e, o, d) => readSubscriptionEvent(e, o, d, 'created'),
  'customer.subscription.updated': (e, o, d) => readSubscriptionEvent(e, o, d, 'updated'),
  'customer.subscription.deleted': (e, o, d) => readSubscriptionEvent(e, o, d, 'deleted'),
  'customer.subscription.paused': (e, o, d) => readSubscriptionEvent(e, o, d, 'paused'),
  'customer.subscription.resumed': (e, o, d) => readSubscriptionEvent(e, o, d, 'resumed'),
  'invoice.paid': (e, o) => readInvoiceEvent(e, o, 'paid'),
  'invoice.payment_succeeded': (e, o) => readInvoiceEvent(e, o, 'paid'),
  'invoice.payment_failed': (e, o) => readInvoiceEvent(e, o, 'payment_failed'),
  'charge.dispute.created': (e, o) => readDisputeEvent(e, o, 'created'),
  'charge.dispute.closed': (e, o) => readDisputeEvent(e, o, 'closed'),
  'charge.refunded': (e, o) => readRefundEvent(e, o),
  'invoice_payment.paid': (e, o) => readInvoicePaymentEvent(e, o),
};

const EXPECTED_OBJECT: Record<HandledEventType, string> = {
  'checkout.session.completed': 'checkout.session',
  'checkout.session.async_payment_succeeded': 'checkout.session',
  'checkout.session.async_payment_failed': 'checkout.session',
  'customer.subscription.created': 'subscription',
  'customer.subscription.updated': 'subscription',
  'customer.subscription.deleted': 'subscription',
  'customer.subscription.paused': 'subscription',
  'customer.subscription.resumed': 'subscription',
  'invoice.paid': 'invoice',
  'invoice.payment_succeeded': 'invoice',
  'invoice.payment_failed': 'invoice',
  'charge.dispute.created': 'dispute',
  'charge.dispute.closed': 'dispute',
  'charge.refunded': 'charge',
  'invoice_payment.paid': 'invoice_payment',
};

interface RawEvent {
  envelope: StripeEventEnvelope;
  /** `data` and `data.object`; their fields fail as unsupported_payload_shape. */
  data: PayloadNode;
  object: PayloadNode;
}

function readEvent(rawJson: string): RawEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawJson);
  } catch {
    // No `cause`: JSON.parse's message quotes part of the body, which can hold customer data.
    throw new ProcessingError('unparseable_event', 'the body is not valid JSON');
  }
  if (!isJsonObject(parsed)) {
    throw new ProcessingError('unparseable_event', 'the body is not a JSON object, so not a Stripe event');
  }
  // Envelope fields fail as unparseable_event: without them this is not a Stripe event at all.
  const event = new PayloadNode(parsed, '', 'unparseable_event');
  const kind = event.optionalString('object');
  if (kind !== null && kind !== 'event') {
    event.fail('object', `is ${quoted(kind)}; a Stripe snapshot event has object "event"`);
  }
  const envelope: StripeEventEnvelope = {
    eventId: event.string('id'),
    eventType: event.string('type'),
    created: event.number('created'),
    livemode: event.boolean('livemode'),
    apiVersion: event.optionalString('api_version'),
  };
  if (!Number.isSafeInteger(envelope.created) || envelope.created < 0) event.fail('created', 'must be Unix seconds');
  const data = event.child('data');
  data.child('object');
  return {
    envelope,
    data: PayloadNode.of(data.value, 'data'),
    object: PayloadNode.of(data.raw('object'), 'data.object'),
  };
}
