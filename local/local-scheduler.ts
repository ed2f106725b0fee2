/**
 * What EventBridge Scheduler does deployed, on a laptop: runs each registered job on its interval.
 * A run never overlaps the previous run of the same job, a failing run is logged and the next one
 * still happens, and `stop()` waits for runs in progress (Ctrl-C does not cut a job in half).
 *
 * The jobs themselves are built by `localScheduledJobs`, the one place a scheduled Lambda gets
 * wired into `npm start`.
 */
import type { GraceEscalationHandler } from '../lambdas/grace-escalation/runtime';
import { SERVICES } from '../lambdas/observability/metric-names';
import type { ReconciliationHandler } from '../lambdas/reconciliation/runtime';
import { GRACE_ESCALATION_TIMEOUT_SECONDS, RECONCILIATION_TIMEOUT_SECONDS } from '../lib/config/stage-config';
import { createLocalContext } from './lambda-context';

export interface ScheduledJob {
  /** Shown in the banner and the logs, e.g. `grace-escalation`. */
  name: string;
  everyMs: number;
  /** The job's handler, called the way the deployed schedule calls its Lambda; resolves to what the run reports. */
  run(): Promise<unknown>;
}

/** What a job may need from the local pipeline to build its handler. */
export interface ScheduledJobContext {
  /** The grace-escalation Lambda's handler, built on the local pipeline's ledger, TO and outbox. */
  graceEscalation: GraceEscalationHandler;
  graceEscalationEveryMs: number;
  /** The reconciliation Lambda's handler, or null when Stripe API features are disabled (no STRIPE_API_URL). */
  reconciliation: ReconciliationHandler | null;
  reconciliationEveryMs: number;
}

/**
 * The scheduled jobs of the local pipeline, each called with the payload and the Lambda timeout the
 * deployed schedule gives it. Reconciliation reads the Stripe API, so it runs only when one is set.
 */
export function localScheduledJobs(context: ScheduledJobContext): ScheduledJob[] {
  const jobs: ScheduledJob[] = [{
    name: 'grace-escalation',
    everyMs: context.graceEscalationEveryMs,
    run: () => context.graceEscalation(
      { scheduledTime: new Date().toISOString() },
      createLocalContext(SERVICES.graceEscalation, GRACE_ESCALATION_TIMEOUT_SECONDS * 1000),
    ),
  }];
  const { reconciliation } = context;
  if (reconciliation) {
    jobs.push({
      name: 'reconciliation',
      everyMs: context.reconciliationEveryMs,
      run: () => reconciliation({ scheduledTime: new Date().toISOString() }, createLocalContext(SERVICES.reconciliation, RECONCILIATION_TIMEOUT_SECONDS * 1000)),
    });
  }
  return jobs;
}

export class LocalScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  private stopped = false;

  constructor(
    readonly jobs: readonly ScheduledJob[],
    private readonly onError: (job: ScheduledJob, error: unknown) => void,
  ) {}

  start(): void {
    for (const job of this.jobs) {
      const timer = setInterval(() => this.runOnce(job), job.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /**
   * Runs a job now unless it is already running; resolves when that run ends, to what it reported,
   * or to undefined when it failed (the failure goes to `onError`) or the scheduler is stopping.
   */
  runOnce(job: ScheduledJob): Promise<unknown> {
    const current = this.running.get(job.name);
    if (current) return current;
    if (this.stopped) return Promise.resolve(undefined);
    const run = (async () => {
      try {
        return await job.run();
      } catch (error) {
        this.onError(job, error);
        return undefined;
      } finally {
        this.running.delete(job.name);
      }
    })();
    this.running.set(job.name, run);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.running.values());
  }
}
