/**
 * Every CloudWatch metric the Lambdas emit (EMF through Powertools) and the alarms watch. One
 * namespace; each function's metrics carry a `service` dimension with its service name.
 */
export const METRICS_NAMESPACE = 'StripeLicensing';

export const SERVICES = {
  ingest: 'stripe-webhook-ingest',
  processor: 'license-processor',
  graceEscalation: 'grace-escalation',
  /** The reconciliation job: Stripe's paid checkouts vs the ledger. */
  reconciliation: 'license-reconciliation',
} as const;

export const METRIC = {
  // ingest (service = stripe-webhook-ingest)
  webhookReceived: 'WebhookReceived',
  /** Verified and enqueued, or verified and deliberately ignored: both are a successful delivery. */
  webhookAccepted: 'WebhookAccepted',
  webhookIgnored: 'WebhookIgnored',
  webhookRejected: 'WebhookRejected',
  signatureVerificationFailed: 'SignatureVerificationFailed',
  webhookEnqueueFailed: 'WebhookEnqueueFailed',

  // processor (service = license-processor)
  eventProcessed: 'EventProcessed',
  duplicateEvent: 'DuplicateEvent',
  eventFailed: 'EventFailed',
  eventDeadLettered: 'EventDeadLettered',
  licenseCreated: 'LicenseCreated',
  licenseCreationFailed: 'LicenseCreationFailed',
  /** Stripe event `created` → license created, milliseconds. */
  provisioningLatency: 'ProvisioningLatency',
  businessRuleViolation: 'BusinessRuleViolation',
  emailSent: 'EmailSent',
  emailFailed: 'EmailFailed',

  // grace-escalation job (service = grace-escalation); the license and e-mail metrics above are
  // emitted under this service too when a ladder step changes a license or sends a message.
  /** Purchases whose next ladder step was due when the job ran. */
  graceStepsDue: 'GraceStepsDue',
  /** Purchases moved to a later ladder stage (reminded, downgraded, suspended). */
  graceStepApplied: 'GraceStepApplied',
  /** A due purchase the job could not escalate (TO or SES down, a bug); the next run tries again. */
  graceEscalationFailed: 'GraceEscalationFailed',
  /** Due purchases left for the next run: busy with an event, or the run was out of time. */
  graceEscalationDeferred: 'GraceEscalationDeferred',

  // reconciliation job (service = license-reconciliation)
  /** Payment events (paid checkouts) a run compared with the ledger. */
  paymentsReconciled: 'PaymentsReconciled',
  /** A payment at Stripe with no license here: requeued, failed here (DLQ), or unreadable. Alarmed at >= 1. */
  orphanedPayment: 'OrphanedPayment',
  /** The orphans whose webhook never arrived, put back on the provisioning queue by the job. */
  orphanedPaymentRequeued: 'OrphanedPaymentRequeued',
} as const;
