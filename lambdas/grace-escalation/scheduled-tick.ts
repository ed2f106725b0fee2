/**
 * The payload EventBridge Scheduler sends the grace-escalation Lambda (the stack fills it from the
 * scheduler's context attributes). A manual invocation may send `{}`: the run is then named after
 * the current time.
 */
export interface ScheduledTick {
  /** The time the schedule fired for, ISO 8601 (`<aws.scheduler.scheduled-time>`). */
  scheduledTime?: string;
}

/** The id a run records as the source of each ladder step: stable across retries of one schedule firing. */
export function tickIdOf(event: unknown, nowMs: number): string {
  const scheduledTime = event && typeof event === 'object' ? (event as ScheduledTick).scheduledTime : undefined;
  if (scheduledTime === undefined) return `grace-escalation@${new Date(nowMs).toISOString()}`;
  if (typeof scheduledTime !== 'string' || Number.isNaN(Date.parse(scheduledTime))) {
    throw new Error(`grace escalation: scheduledTime must be an ISO 8601 time, got ${JSON.stringify(scheduledTime)}`);
  }
  return `grace-escalation@${new Date(Date.parse(scheduledTime)).toISOString()}`;
}
