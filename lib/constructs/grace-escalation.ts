/**
 * The dunning ladder by time (DESIGN §3): an EventBridge Scheduler schedule invokes the
 * grace-escalation Lambda every few minutes; each run moves the purchases whose next step is due
 * (found through the ledger's grace-deadline index) through the same purchase workflow as the
 * processor. A run that fails or is skipped loses nothing: a due purchase stays due in the ledger
 * until a run has carried out its step, so the next run picks it up.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { LEDGER_INDEXES } from '../../lambdas/adapters/ledger-schema';
import { SERVICES } from '../../lambdas/observability/metric-names';
import { GRACE_ESCALATION_TIMEOUT_SECONDS } from '../config/stage-config';
import { LambdaFunction, lambdaHandler } from './lambda-function';
import { grantPurchaseWorkflow, purchaseWorkflowEnvironment, type PurchaseWorkflowProps } from './purchase-workflow-access';

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
    // Lambda's own retries of an asynchronous invocation would only repeat a run the next schedule
    // firing repeats anyway (the due purchases stay due); a failed run shows in the Errors alarm.
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(10) });

    // Its own group, so the scheduler's delivery metrics (target errors, drops) are this job's alone.
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      // Only schedules of this account may use the role (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'Lets EventBridge Scheduler invoke the grace-escalation Lambda',
    });
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: `${props.namePrefix}-jobs` });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${props.namePrefix}-grace-escalation`,
      description: 'Runs the grace-escalation Lambda (dunning ladder by time)',
      scheduleGroup: this.scheduleGroup,
      schedule: scheduler.ScheduleExpression.rate(props.interval),
      target: new targets.LambdaInvoke(this.function, {
        role: this.schedulerRole,
        // Names the run in each purchase's audit history; stable across the scheduler's own retries.
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        // Older than one interval, a firing is superseded by the next one.
        maxEventAge: props.interval.toSeconds() >= 60 ? props.interval : Duration.minutes(1),
      }),
    });

    const functionLogicalId = Stack.of(this).resolve((this.function.node.defaultChild as lambda.CfnFunction).logicalId) as string;
    Validations.of(this.schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
      reason: 'lambda:InvokeFunction on this one function and its qualified ARNs (versions and aliases): the grant LambdaInvoke adds for a schedule target. '
        + 'No other function or action; the infra tests assert the role\'s whole policy.',
    });
  }
}
