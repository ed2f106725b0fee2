/**
 * The dunning ladder by time (DESIGN §3): an EventBridge Scheduler schedule invokes the
 * grace-escalation Lambda every few minutes; each run moves the purchases whose next step is due
 * (found through the ledger's grace-deadline index) through the same purchase workflow as the
 * processor. A run that fails or is skipped loses nothing: a due purchase stays due in the ledger
 * until a run has carried out its step, so the next run picks it up.
 */
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { LEDGER_INDEXES } from '../../lambdas/adapters/ledger-schema';
import { SERVICES } from '../../lambdas/observability/metric-names';
import { GRACE_ESCALATION_TIMEOUT_SECONDS } from '../config/stage-config';
import { LambdaFunction, lambdaHandler } from './lambda-function';
import { grantPurchaseWorkflow, purchaseWorkflowEnvironment, type PurchaseWorkflowProps } from './purchase-workflow-access';
import { scheduleInvoke } from './scheduled-invoke';

export interface GraceEscalationProps extends PurchaseWorkflowProps {
  readonly namePrefix: string;
  readonly interval: Duration;
}

export class GraceEscalation extends Construct {
  readonly function: LambdaFunction;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the function (and nothing else). */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: GraceEscalationProps) {
    super(scope, id);

    this.function = new LambdaFunction(this, 'Function', {
      handlerSpec: lambdaHandler('GraceEscalation'),
      serviceName: SERVICES.graceEscalation,
      description: 'Moves purchases with failed payments along the grace ladder (reminder, downgrade, suspension) on schedule',
      timeout: Duration.seconds(GRACE_ESCALATION_TIMEOUT_SECONDS),
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: purchaseWorkflowEnvironment(props),
    });
    // The job reads purchases by grace deadline only; it never resolves payments or customers.
    grantPurchaseWorkflow(this.function, props, [LEDGER_INDEXES.byGraceDeadline.name]);
    // The scheduled jobs' own group, so the scheduler's delivery metrics (target errors, drops) are
    // theirs alone; the reconciliation job's schedule joins it.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: `${props.namePrefix}-jobs` });
    const scheduled = scheduleInvoke(this, {
      function: this.function,
      scheduleGroup: this.scheduleGroup,
      scheduleName: `${props.namePrefix}-grace-escalation`,
      functionLabel: 'the grace-escalation Lambda',
      purpose: 'dunning ladder by time',
      interval: props.interval,
    });
    this.schedule = scheduled.schedule;
    this.schedulerRole = scheduled.schedulerRole;
  }
}
