/**
 * Orphaned payments (DESIGN §7): an EventBridge Scheduler schedule invokes the reconciliation Lambda
 * every hour or so; each run lists Stripe's paid checkouts of its lookback window through the Stripe
 * Events API and looks each one up in the ledger. A payment the ledger never saw (a lost webhook) is
 * put back on the provisioning queue, so the processor creates its license; every orphan counts in
 * OrphanedPayment. A run that fails loses nothing: the next run covers the same window.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, type Stage } from '../../lambdas/config/env';
import { SERVICES } from '../../lambdas/observability/metric-names';
import { RECONCILIATION_SETTLE_SECONDS, RECONCILIATION_TIMEOUT_SECONDS } from '../config/stage-config';
import { LambdaFunction, lambdaHandler } from './lambda-function';
import { scheduleInvoke } from './scheduled-invoke';

export interface ReconciliationProps {
  readonly stage: Stage;
  readonly namePrefix: string;
  readonly interval: Duration;
  /** How far back each run looks at Stripe's events. */
  readonly lookback: Duration;
  readonly stripeApiUrl: string;
  readonly stripeTimeoutMs: number;
  readonly stripeApiKeySecret: secretsmanager.ISecret;
  readonly ledgerTable: dynamodb.ITable;
  /** Where a payment whose webhook never arrived is put back. */
  readonly queue: sqs.IQueue;
  /** The scheduled jobs' group (the grace-escalation job's). */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly logRetentionDays: number;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class Reconciliation extends Construct {
  readonly function: LambdaFunction;
  readonly schedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the function (and nothing else). */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: ReconciliationProps) {
    super(scope, id);

    this.function = new LambdaFunction(this, 'Function', {
      handlerSpec: lambdaHandler('Reconciliation'),
      serviceName: SERVICES.reconciliation,
      description: 'Compares Stripe\'s paid checkouts with the ledger on schedule and puts payments whose webhook never arrived back on the queue',
      timeout: Duration.seconds(RECONCILIATION_TIMEOUT_SECONDS),
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        [ENV.stage]: props.stage,
        [ENV.ledgerTable]: props.ledgerTable.tableName,
        [ENV.queueUrl]: props.queue.queueUrl,
        [ENV.stripeApiUrl]: props.stripeApiUrl,
        [ENV.stripeApiKeySecretId]: props.stripeApiKeySecret.secretArn,
        [ENV.stripeTimeoutMs]: String(props.stripeTimeoutMs),
        [ENV.reconciliationLookbackSeconds]: String(props.lookback.toSeconds()),
        [ENV.reconciliationSettleSeconds]: String(RECONCILIATION_SETTLE_SECONDS),
      },
    });
    // Reads only: a purchase and an event's failure record by key (no Query, no writes); grant* helpers would add more.
    this.function.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadLedgerItems',
      actions: ['dynamodb:GetItem'],
      resources: [props.ledgerTable.tableArn],
    }));
    this.function.addToRolePolicy(new iam.PolicyStatement({
      sid: 'RequeueLostEvents',
      actions: ['sqs:SendMessage'],
      resources: [props.queue.queueArn],
    }));
    this.function.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadStripeApiKey',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [props.stripeApiKeySecret.secretArn],
    }));

    const scheduled = scheduleInvoke(this, {
      function: this.function,
      scheduleGroup: props.scheduleGroup,
      scheduleName: `${props.namePrefix}-reconciliation`,
      functionLabel: 'the reconciliation Lambda',
      purpose: 'Stripe\'s paid checkouts vs the ledger; orphaned payments',
      interval: props.interval,
    });
    this.schedule = scheduled.schedule;
    this.schedulerRole = scheduled.schedulerRole;
  }
}
