/**
 * Alarms for every metric in lambdas/observability/metric-names.ts that needs a human, plus the
 * queue and Lambda health alarms, all to one SNS topic; and a dashboard showing the same metrics.
 *
 * Each alarm has a stable name (`<prefix>-<slug>`) and a description that links to its runbook
 * section (docs/runbook.md#<slug>), which says what it means, where to look first and how to fix
 * and redrive. Missing data never alarms: no webhooks in a quiet hour is not an incident.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICES } from '../../lambdas/observability/metric-names';

export const RUNBOOK_PATH = 'docs/runbook.md';

/** Service name the reconciliation job emits OrphanedPayment under. */
export const RECONCILIATION_SERVICE = SERVICES.reconciliation;

/** Evaluation period of the business alarms. */
const PERIOD = Duration.minutes(5);
/** Thresholds (see docs/runbook.md for why). */
export const THRESHOLDS = {
  webhookSuccessRatePercent: 99,
  provisioningLatencyP99Ms: 5000,
  duplicateRatePercent: 5,
  oldestMessageAgeSeconds: 300,
} as const;

/** Every alarm's slug, which is also its runbook anchor. */
export const ALARM_SLUGS = [
  'webhook-delivery-success-rate',
  'signature-verification-failed',
  'provisioning-latency-p99',
  'license-creation-failed',
  'duplicate-event-rate',
  'orphaned-payment',
  'event-dead-lettered',
  'business-rule-violation',
  'email-failed',
  'dlq-not-empty',
  'queue-oldest-message-age',
  'ingest-lambda-errors',
  'ingest-lambda-throttles',
  'processor-lambda-errors',
  'processor-lambda-throttles',
  'grace-escalation-failed',
  'grace-escalation-lambda-errors',
  'reconciliation-lambda-errors',
  'scheduler-target-errors',
] as const;
export type AlarmSlug = (typeof ALARM_SLUGS)[number];

export function serviceMetric(service: string, metricName: string, statistic = 'Sum', label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service }, statistic, period: PERIOD, label });
}

const ingestMetric = (name: string, label?: string) => serviceMetric(SERVICES.ingest, name, 'Sum', label);
const processorMetric = (name: string, label?: string) => serviceMetric(SERVICES.processor, name, 'Sum', label);
const graceMetric = (name: string, label?: string) => serviceMetric(SERVICES.graceEscalation, name, 'Sum', label);
const reconciliationMetric = (name: string, label?: string) => serviceMetric(RECONCILIATION_SERVICE, name, 'Sum', label);

/** The expression ids of workflowMetricSum's two parts. */
function workflowMetricSumIds(metricName: string): { processor: string; grace: string } {
  return { processor: `processor${metricName}`, grace: `grace${metricName}` };
}

/**
 * A license or e-mail metric summed over the two Lambdas that drive the purchase workflow: the
 * processor (Stripe events) and the grace-escalation job (ladder steps) emit it under their own service.
 */
export function workflowMetricSum(metricName: string, label: string): cloudwatch.MathExpression {
  // Ids named after the metric: one graph may hold several of these sums, and CloudWatch needs each
  // id to stand for one metric there.
  const ids = workflowMetricSumIds(metricName);
  return new cloudwatch.MathExpression({
    expression: `FILL(${ids.processor}, 0) + FILL(${ids.grace}, 0)`,
    usingMetrics: { [ids.processor]: processorMetric(metricName), [ids.grace]: graceMetric(metricName) },
    period: PERIOD,
    label,
  });
}

/** 100 × accepted / received, only for periods in which a webhook arrived (otherwise no data, i.e. not breaching). */
export function webhookSuccessRate(): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'IF(received > 0, 100 * FILL(accepted, 0) / received, 100)',
    usingMetrics: { received: ingestMetric(METRIC.webhookReceived), accepted: ingestMetric(METRIC.webhookAccepted) },
    period: PERIOD,
    label: 'Webhook delivery success rate (%)',
  });
}

/** 100 × duplicates / (processed + duplicates). */
export function duplicateEventRate(): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'IF(FILL(processed, 0) + FILL(duplicates, 0) > 0, 100 * FILL(duplicates, 0) / (FILL(processed, 0) + FILL(duplicates, 0)), 0)',
    usingMetrics: { processed: processorMetric(METRIC.eventProcessed), duplicates: processorMetric(METRIC.duplicateEvent) },
    period: PERIOD,
    label: 'Duplicate event rate (%)',
  });
}

export interface OperationsAlarmsProps {
  readonly namePrefix: string;
  readonly alarmTopic: sns.ITopic;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly ingestFunction: lambda.IFunction;
  readonly processorFunction: lambda.IFunction;
  readonly graceEscalationFunction: lambda.IFunction;
  readonly reconciliationFunction: lambda.IFunction;
  /** The schedule group of the scheduled jobs (its delivery metrics are theirs alone). */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly api: apigateway.RestApi;
}

interface AlarmSpec {
  slug: AlarmSlug;
  summary: string;
  metric: cloudwatch.IMetric;
  threshold: number;
  comparison: cloudwatch.ComparisonOperator;
}

const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: AT_LEAST, GREATER_THAN_THRESHOLD: ABOVE, LESS_THAN_THRESHOLD: BELOW } = cloudwatch.ComparisonOperator;

export class OperationsAlarms extends Construct {
  readonly alarms = new Map<AlarmSlug, cloudwatch.Alarm>();
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);

    const specs: AlarmSpec[] = [
      { slug: 'webhook-delivery-success-rate', summary: `Less than ${THRESHOLDS.webhookSuccessRatePercent}% of Stripe webhooks were accepted (verified and enqueued or deliberately ignored)`, metric: webhookSuccessRate(), threshold: THRESHOLDS.webhookSuccessRatePercent, comparison: BELOW },
      { slug: 'signature-verification-failed', summary: 'A webhook failed Stripe signature verification (wrong or rolled signing secret, or someone probing the endpoint)', metric: ingestMetric(METRIC.signatureVerificationFailed), threshold: 0, comparison: ABOVE },
      { slug: 'provisioning-latency-p99', summary: `p99 time from the Stripe event to the license being created exceeds ${THRESHOLDS.provisioningLatencyP99Ms} ms`, metric: serviceMetric(SERVICES.processor, METRIC.provisioningLatency, 'p99'), threshold: THRESHOLDS.provisioningLatencyP99Ms, comparison: ABOVE },
      { slug: 'license-creation-failed', summary: 'Creating a license at Traffic Orchestrator failed', metric: workflowMetricSum(METRIC.licenseCreationFailed, 'License creation failures'), threshold: 1, comparison: AT_LEAST },
      { slug: 'duplicate-event-rate', summary: `More than ${THRESHOLDS.duplicateRatePercent}% of processed events were duplicates`, metric: duplicateEventRate(), threshold: THRESHOLDS.duplicateRatePercent, comparison: ABOVE },
      { slug: 'orphaned-payment', summary: 'Reconciliation found a paid Stripe checkout with no license (requeued if its webhook never arrived)', metric: reconciliationMetric(METRIC.orphanedPayment), threshold: 1, comparison: AT_LEAST },
      { slug: 'event-dead-lettered', summary: 'The processor sent an event to the DLQ as a final failure', metric: processorMetric(METRIC.eventDeadLettered), threshold: 1, comparison: AT_LEAST },
      { slug: 'business-rule-violation', summary: 'An event broke a business rule (missing metadata, unmapped price, customer without e-mail)', metric: processorMetric(METRIC.businessRuleViolation), threshold: 1, comparison: AT_LEAST },
      { slug: 'email-failed', summary: 'A license or dunning e-mail could not be sent through SES', metric: workflowMetricSum(METRIC.emailFailed, 'E-mail failures'), threshold: 1, comparison: AT_LEAST },
      { slug: 'dlq-not-empty', summary: 'The provisioning dead-letter queue holds messages', metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) }), threshold: 1, comparison: AT_LEAST },
      { slug: 'queue-oldest-message-age', summary: `The oldest message in the provisioning queue is older than ${THRESHOLDS.oldestMessageAgeSeconds} s (processor stuck or failing)`, metric: props.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(1) }), threshold: THRESHOLDS.oldestMessageAgeSeconds, comparison: ABOVE },
      { slug: 'ingest-lambda-errors', summary: 'The ingest Lambda failed invocations (Stripe got a 5xx and will retry)', metric: props.ingestFunction.metricErrors({ statistic: 'Sum', period: PERIOD }), threshold: 1, comparison: AT_LEAST },
      { slug: 'ingest-lambda-throttles', summary: 'The ingest Lambda was throttled (Stripe got a 5xx and will retry)', metric: props.ingestFunction.metricThrottles({ statistic: 'Sum', period: PERIOD }), threshold: 1, comparison: AT_LEAST },
      { slug: 'processor-lambda-errors', summary: 'The processor Lambda failed whole invocations (the batch returns to the queue)', metric: props.processorFunction.metricErrors({ statistic: 'Sum', period: PERIOD }), threshold: 1, comparison: AT_LEAST },
      { slug: 'processor-lambda-throttles', summary: 'The processor Lambda was throttled', metric: props.processorFunction.metricThrottles({ statistic: 'Sum', period: PERIOD }), threshold: 1, comparison: AT_LEAST },
      { slug: 'grace-escalation-failed', summary: 'The grace-escalation job could not move a due purchase along the ladder (it stays due; the next run tries again)', metric: graceMetric(METRIC.graceEscalationFailed), threshold: 1, comparison: AT_LEAST },
      { slug: 'grace-escalation-lambda-errors', summary: 'A grace-escalation run failed as a whole (cold start, ledger unreachable, bad scheduler payload)', metric: props.graceEscalationFunction.metricErrors({ statistic: 'Sum', period: PERIOD }), threshold: 1, comparison: AT_LEAST },
      { slug: 'reconciliation-lambda-errors', summary: 'A reconciliation run failed as a whole (Stripe API unreachable or 401, Stripe key missing or of the wrong mode, ledger unreachable)', metric: props.reconciliationFunction.metricErrors({ statistic: 'Sum', period: PERIOD }), threshold: 1, comparison: AT_LEAST },
      { slug: 'scheduler-target-errors', summary: 'EventBridge Scheduler could not invoke a scheduled job, or gave up on a firing', metric: schedulerDeliveryFailures(props.scheduleGroup), threshold: 1, comparison: AT_LEAST },
    ];

    const notify = new actions.SnsAction(props.alarmTopic);
    for (const spec of specs) {
      const alarm = new cloudwatch.Alarm(this, alarmConstructId(spec.slug), {
        alarmName: `${props.namePrefix}-${spec.slug}`,
        alarmDescription: `${spec.summary}. Runbook: ${RUNBOOK_PATH}#${spec.slug}`,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      // "OK" too, so whoever got paged learns when it cleared.
      alarm.addOkAction(notify);
      this.alarms.set(spec.slug, alarm);
    }

    this.dashboard = this.buildDashboard(props);
  }

  private buildDashboard(props: OperationsAlarmsProps): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.namePrefix}-operations`,
      defaultInterval: Duration.hours(6),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });

    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({
      title: 'Alarms (runbook: docs/runbook.md)',
      alarms: [...this.alarms.values()],
      width: 24,
      height: 4,
    }));
    dashboard.addWidgets(
      graph('Webhooks', [
        ingestMetric(METRIC.webhookReceived, 'received'),
        ingestMetric(METRIC.webhookAccepted, 'accepted'),
        ingestMetric(METRIC.webhookIgnored, 'ignored'),
        ingestMetric(METRIC.webhookRejected, 'rejected'),
        ingestMetric(METRIC.signatureVerificationFailed, 'bad signature'),
        ingestMetric(METRIC.webhookEnqueueFailed, 'enqueue failed'),
      ]),
      graph('Webhook delivery success rate (%)', [webhookSuccessRate()]),
      graph('API Gateway', [
        props.api.metricCount({ label: 'requests', period: PERIOD }),
        props.api.metricClientError({ label: '4xx', period: PERIOD }),
        props.api.metricServerError({ label: '5xx', period: PERIOD }),
      ], [props.api.metricLatency({ label: 'latency p99', statistic: 'p99', period: PERIOD })]),
    );
    dashboard.addWidgets(
      graph('Events', [
        processorMetric(METRIC.eventProcessed, 'processed'),
        processorMetric(METRIC.duplicateEvent, 'duplicates'),
        processorMetric(METRIC.eventFailed, 'failed (retried)'),
        processorMetric(METRIC.eventDeadLettered, 'dead-lettered'),
        processorMetric(METRIC.businessRuleViolation, 'business rule violations'),
      ], [duplicateEventRate()]),
      // Summed over the processor and the grace-escalation job, as the alarms on the same metrics are.
      graph('Licenses and e-mail', [
        workflowMetricSum(METRIC.licenseCreated, 'licenses created'),
        workflowMetricSum(METRIC.licenseCreationFailed, 'license creation failed'),
        workflowMetricSum(METRIC.emailSent, 'e-mails sent'),
        workflowMetricSum(METRIC.emailFailed, 'e-mails failed'),
      ]),
      graph('Provisioning latency (ms)', [
        serviceMetric(SERVICES.processor, METRIC.provisioningLatency, 'p50', 'p50'),
        serviceMetric(SERVICES.processor, METRIC.provisioningLatency, 'p99', 'p99'),
      ]),
    );
    dashboard.addWidgets(
      graph('Provisioning queue', [
        props.queue.metricApproximateNumberOfMessagesVisible({ label: 'visible', statistic: 'Maximum', period: Duration.minutes(1) }),
        props.queue.metricApproximateNumberOfMessagesNotVisible({ label: 'in flight', statistic: 'Maximum', period: Duration.minutes(1) }),
      ], [props.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest message age (s)', statistic: 'Maximum', period: Duration.minutes(1) })]),
      graph('Dead-letter queue', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'messages', statistic: 'Maximum', period: Duration.minutes(1) }),
      ]),
      graph('Lambda errors and throttles', [
        props.ingestFunction.metricErrors({ label: 'ingest errors', period: PERIOD }),
        props.ingestFunction.metricThrottles({ label: 'ingest throttles', period: PERIOD }),
        props.processorFunction.metricErrors({ label: 'processor errors', period: PERIOD }),
        props.processorFunction.metricThrottles({ label: 'processor throttles', period: PERIOD }),
        props.graceEscalationFunction.metricErrors({ label: 'grace-escalation errors', period: PERIOD }),
        props.reconciliationFunction.metricErrors({ label: 'reconciliation errors', period: PERIOD }),
      ], [
        props.ingestFunction.metricDuration({ label: 'ingest duration p99', statistic: 'p99', period: PERIOD }),
        props.processorFunction.metricDuration({ label: 'processor duration p99', statistic: 'p99', period: PERIOD }),
      ]),
    );
    dashboard.addWidgets(
      graph('Grace ladder (scheduled job)', [
        graceMetric(METRIC.graceStepsDue, 'due'),
        graceMetric(METRIC.graceStepApplied, 'steps applied'),
        graceMetric(METRIC.graceEscalationFailed, 'failed'),
        graceMetric(METRIC.graceEscalationDeferred, 'left for the next run'),
      ], [schedulerDeliveryFailures(props.scheduleGroup)]),
      graph('Reconciliation (scheduled job)', [
        reconciliationMetric(METRIC.orphanedPayment, 'orphaned payments'),
        reconciliationMetric(METRIC.orphanedPaymentRequeued, 'orphans requeued'),
        props.reconciliationFunction.metricErrors({ label: 'failed runs (errors)', period: PERIOD }),
      ], [reconciliationMetric(METRIC.paymentsReconciled, 'payments checked')]),
    );
    return dashboard;
  }
}

/** Invocations the scheduler could not deliver (target errors) plus firings it gave up on (dropped). */
function schedulerDeliveryFailures(group: scheduler.IScheduleGroup): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'FILL(targetErrors, 0) + FILL(dropped, 0)',
    usingMetrics: {
      targetErrors: group.metricTargetErrors({ statistic: 'Sum', period: PERIOD }),
      dropped: group.metricDropped({ statistic: 'Sum', period: PERIOD }),
    },
    period: PERIOD,
    label: 'Scheduler target errors + dropped firings',
  });
}

/** `webhook-delivery-success-rate` → `WebhookDeliverySuccessRateAlarm` (stable logical ids). */
function alarmConstructId(slug: string): string {
  return `${slug.split('-').map((part) => part[0].toUpperCase() + part.slice(1)).join('')}Alarm`;
}
