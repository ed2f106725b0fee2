/**
 * How a scheduled job's Lambda is run: an EventBridge Scheduler schedule in the jobs' schedule group
 * invokes it at a fixed rate through a role of its own that may invoke only that function, and
 * Lambda does not retry a failed run (the next firing is the retry). The grace-escalation and the
 * reconciliation jobs both use it.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import type { LambdaFunction } from './lambda-function';

export interface ScheduledInvokeProps {
  readonly function: LambdaFunction;
  /** The jobs' group: its delivery metrics (target errors, drops) are the scheduled jobs' alone. */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly scheduleName: string;
  /** The function as people name it, e.g. "the grace-escalation Lambda". */
  readonly functionLabel: string;
  /** What a run does, e.g. "dunning ladder by time". */
  readonly purpose: string;
  readonly interval: Duration;
}

export interface ScheduledInvoke {
  readonly schedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the function (and nothing else). */
  readonly schedulerRole: iam.Role;
}

/**
 * Creates the role (construct id `SchedulerRole`) and the schedule (`Schedule`) directly in `scope`,
 * so the logical ids depend only on the job construct they belong to.
 */
export function scheduleInvoke(scope: Construct, props: ScheduledInvokeProps): ScheduledInvoke {
  // Lambda's own retries of an asynchronous invocation would only repeat a run the next schedule
  // firing repeats anyway (the job's work stays due); a failed run shows in the job's Errors alarm.
  props.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(10) });

  const schedulerRole = new iam.Role(scope, 'SchedulerRole', {
    // Only schedules of this account may use the role (confused-deputy guard).
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description: `Lets EventBridge Scheduler invoke ${props.functionLabel}`,
  });
  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    scheduleName: props.scheduleName,
    description: `Runs ${props.functionLabel} (${props.purpose})`,
    scheduleGroup: props.scheduleGroup,
    schedule: scheduler.ScheduleExpression.rate(props.interval),
    target: new targets.LambdaInvoke(props.function, {
      role: schedulerRole,
      // Names the run (in the logs, and in each purchase's audit history); stable across the scheduler's own retries.
      input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
      retryAttempts: 3,
      // Older than one interval, a firing is superseded by the next one.
      maxEventAge: props.interval.toSeconds() >= 60 ? props.interval : Duration.minutes(1),
    }),
  });

  const functionLogicalId = Stack.of(scope).resolve((props.function.node.defaultChild as lambda.CfnFunction).logicalId) as string;
  Validations.of(schedulerRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
    reason: 'lambda:InvokeFunction on this one function and its qualified ARNs (versions and aliases): the grant LambdaInvoke adds for a schedule target. '
      + 'No other function or action; the infra tests assert the role\'s whole policy.',
  });
  return { schedule, schedulerRole };
}
