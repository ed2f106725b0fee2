/**
 * Readable console output for the local pipeline. Deployed, Powertools prints JSON log lines and
 * EMF metric blobs for CloudWatch; on a laptop a person reads the terminal, so the same log calls
 * and metric counts come out as one line each:
 *
 *   10:15:30.123 ingest     webhook accepted · eventId=evt_1 eventType=checkout.session.completed
 *   10:15:30.301 processor  Event processed · eventId=evt_1 outcome=applied actions=[create]
 *   10:15:30.302 metrics    license-processor: EventProcessed=1 LicenseCreated=1 ProvisioningLatency=180ms
 *
 * The handlers get Powertools Logger/Metrics subclasses, so they run unchanged. Nothing here adds
 * fields: what the handlers log is what they log deployed (never a license key or a secret).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import { METRICS_NAMESPACE } from '../lambdas/observability/metric-names';

export type LocalLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOCAL_LOG_LEVELS: readonly LocalLogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

const RANK: Record<LocalLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where lines go; the CLI prints them, tests and the demo may collect or drop them. */
export type LineWriter = (line: string) => void;

export interface ConsoleOutput {
  level: LocalLogLevel;
  write: LineWriter;
}

/** `HH:MM:SS.mmm` local time: enough to follow one run. */
function clock(): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
}

/** One console line: time, source, the message, then the fields as key=value. */
export function formatLine(source: string, message: string, fields: Record<string, unknown> = {}, level?: 'WARN' | 'ERROR'): string {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const prefix = `${clock()} ${source.padEnd(10)} ${level ? `${level} ` : ''}`;
  return parts.length > 0 ? `${prefix}${message} · ${parts.join(' ')}` : `${prefix}${message}`;
}

function formatValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' && /^[^\s,\]]+$/.test(item))) return `[${value.join(',')}]`;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value);
}

/**
 * A Powertools Logger whose output is one readable line per call. Only the printing differs: the
 * handlers call info/warn/error exactly as deployed.
 */
export class ReadableLogger extends Logger {
  constructor(private readonly source: string, private readonly output: ConsoleOutput) {
    super({ serviceName: source, logLevel: 'SILENT' });
  }

  override debug(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.print('debug', input, extra);
  }

  override info(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.print('info', input, extra);
  }

  override warn(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.print('warn', input, extra);
  }

  override error(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.print('error', input, extra);
  }

  private print(level: Exclude<LocalLogLevel, 'silent'>, input: LogItemMessage, extra: LogItemExtraInput): void {
    if (RANK[level] < RANK[this.output.level]) return;
    const { message, ...inline } = typeof input === 'string' ? { message: input } : input;
    const fields: Record<string, unknown> = { ...inline };
    for (const item of extra) {
      if (item instanceof Error) fields.error = item.message;
      else if (typeof item === 'string') fields.detail = item;
      else Object.assign(fields, item);
    }
    const tag = level === 'warn' ? 'WARN' : level === 'error' ? 'ERROR' : undefined;
    this.output.write(formatLine(this.source, String(message), fields, tag));
  }
}

const UNIT_SUFFIX: Partial<Record<string, string>> = { [MetricUnit.Milliseconds]: 'ms', [MetricUnit.Seconds]: 's' };

/**
 * A Powertools Metrics that prints what would have been published as EMF (one line per flush:
 * per handler invocation) instead of the JSON blob CloudWatch parses.
 */
export class ConsoleMetrics extends Metrics {
  private readonly pending = new Map<string, { unit: MetricUnitName; values: number[] }>();

  constructor(private readonly source: string, private readonly output: ConsoleOutput) {
    super({ namespace: METRICS_NAMESPACE, serviceName: source });
  }

  override addMetric(name: string, unit: MetricUnitName, value: number): this {
    const entry = this.pending.get(name) ?? { unit, values: [] };
    entry.values.push(value);
    this.pending.set(name, entry);
    return this;
  }

  override publishStoredMetrics(): this {
    if (this.pending.size === 0) return this;
    const parts = [...this.pending.entries()].map(([name, { unit, values }]) => {
      const suffix = UNIT_SUFFIX[unit];
      // Counts add up within one invocation; a measurement is shown as each value.
      if (suffix === undefined) return `${name}=${values.reduce((sum, v) => sum + v, 0)}`;
      return `${name}=${values.map((v) => `${Math.round(v)}${suffix}`).join(',')}`;
    });
    this.pending.clear();
    if (RANK.info >= RANK[this.output.level]) this.output.write(formatLine('metrics', `${this.source}: ${parts.join(' ')}`));
    return this;
  }
}
