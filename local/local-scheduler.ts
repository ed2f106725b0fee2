/**
 * What EventBridge Scheduler does deployed, on a laptop: runs each registered job on its interval.
 * A run never overlaps the previous run of the same job, a failing run is logged and the next one
 * still happens, and `stop()` waits for runs in progress (Ctrl-C does not cut a job in half).
 *
 * The jobs themselves (grace escalation, reconciliation) are built by `localScheduledJobs`, the
 * one place a new scheduled Lambda gets wired into `npm start`.
 */

export interface ScheduledJob {
  /** Shown in the banner and the logs, e.g. `grace-escalation`. */
  name: string;
  everyMs: number;
  /** The job's handler, called the way the deployed schedule calls its Lambda. */
  run(): Promise<void>;
}

/** What a job may need from the local pipeline to build its handler. */
export interface ScheduledJobContext {
  /** Base URL of the Stripe API, or null when Stripe API features are disabled (no STRIPE_API_URL). */
  stripeApiUrl: string | null;
}

/**
 * The scheduled jobs of the local pipeline. None exist yet. When the grace-escalation and
 * reconciliation Lambdas land, register them here with their deployed rate (reconciliation only
 * when `stripeApiUrl` is set), e.g.
 *   { name: 'grace-escalation', everyMs: 60_000, run: () => graceHandler(scheduledEvent(), createLocalContext(...)) }
 */
export function localScheduledJobs(_context: ScheduledJobContext): ScheduledJob[] {
  return [];
}

export class LocalScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
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

  /** Runs a job now unless it is already running; resolves when that run ends. */
  runOnce(job: ScheduledJob): Promise<void> {
    const current = this.running.get(job.name);
    if (current) return current;
    if (this.stopped) return Promise.resolve();
    const run = (async () => {
      try {
        await job.run();
      } catch (error) {
        this.onError(job, error);
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
