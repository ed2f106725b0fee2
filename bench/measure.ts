/**
 * What the benchmarks share: percentiles over latency samples, the lines they print, the machine
 * they ran on, and a watchdog so no benchmark can hang. Nothing here starts a server.
 */
import * as os from 'node:os';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (the sample itself, no interpolation): p99 of 200 samples is the 198th. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** Milliseconds with a precision that fits the size: 0.083, 4.21, 312. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value < 1) return value.toFixed(3);
  if (value < 100) return value.toFixed(2);
  return value.toFixed(0);
}

/** One aligned table row: `label  n  p50  p90  p99  max  mean` (ms). */
export function summaryRow(label: string, summary: LatencySummary, labelWidth = 34): string {
  const cells = [summary.p50, summary.p90, summary.p99, summary.max, summary.mean].map((value) => ms(value).padStart(9));
  return `  ${label.padEnd(labelWidth)}${String(summary.count).padStart(6)}${cells.join('')}`;
}

export function summaryHeader(labelWidth = 34): string {
  const cells = ['p50', 'p90', 'p99', 'max', 'mean'].map((name) => name.padStart(9));
  return `  ${'(milliseconds)'.padEnd(labelWidth)}${'n'.padStart(6)}${cells.join('')}`;
}

const MIB = 1024 * 1024;

export interface MemorySnapshot {
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

export function memorySnapshot(): MemorySnapshot {
  const usage = process.memoryUsage();
  return {
    rssMiB: usage.rss / MIB,
    heapUsedMiB: usage.heapUsed / MIB,
    heapTotalMiB: usage.heapTotal / MIB,
    externalMiB: usage.external / MIB,
  };
}

export function formatMemory(snapshot: MemorySnapshot): string {
  const f = (value: number) => `${value.toFixed(1)} MiB`;
  return `rss ${f(snapshot.rssMiB)}, heap used ${f(snapshot.heapUsedMiB)} of ${f(snapshot.heapTotalMiB)}, external ${f(snapshot.externalMiB)}`;
}

/** The facts a reader needs to compare two runs: when, which machine, how busy it was. */
export function machineLine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((value) => value.toFixed(2)).join(' ');
  return `${new Date().toISOString()} · nproc ${os.availableParallelism()} (${cpus[0]?.model?.trim() ?? 'unknown cpu'}) · `
    + `node ${process.version} · ${os.platform()} ${os.release()} · load average ${load}`;
}

/** `--name value` or `--name=value` as a positive integer (0 allowed with allowZero), else the fallback. */
export function intArg(argv: readonly string[], name: string, fallback: number, { allowZero = false } = {}): number {
  const index = argv.indexOf(`--${name}`);
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  const raw = index >= 0 ? argv[index + 1] : inline?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `--name a,b,c` as a list of non-negative integers, else the fallback. */
export function intListArg(argv: readonly string[], name: string, fallback: number[]): number[] {
  const index = argv.indexOf(`--${name}`);
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  const raw = index >= 0 ? argv[index + 1] : inline?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < 0)) {
    throw new Error(`--${name} must be a comma-separated list of non-negative integers, got ${JSON.stringify(raw)}`);
  }
  return values;
}

/**
 * Ends the process if a benchmark runs past its deadline (a hung server, a lost message): the
 * benchmarks are run by hand and in scripts, and must never sit there forever. Unref'd, so it
 * never keeps a finished process alive.
 */
export function startWatchdog(deadlineMs: number, what: string): () => void {
  const timer = setTimeout(() => {
    process.stderr.write(`\n${what} did not finish within ${Math.round(deadlineMs / 1000)} s; giving up.\n`);
    process.exit(2);
  }, deadlineMs);
  timer.unref();
  return () => clearTimeout(timer);
}

/** Runs a benchmark as a script under a watchdog: exit 0 when the run was sound, 1 when not (or on a crash). */
export function runAsScript(run: () => Promise<boolean>, deadlineMs: number, what: string): void {
  const stopWatchdog = startWatchdog(deadlineMs, what);
  run()
    .then((ok) => {
      process.exitCode = ok ? 0 : 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(stopWatchdog);
}

/**
 * Runs `fn` with process.stdout swallowed and counted: the deployed handlers print one JSON log
 * line and one EMF blob per invocation, whose cost belongs in the measurement but whose thousands
 * of lines do not belong in the terminal. (Powertools' Console writes through process.stdout.write.)
 */
export async function withStdoutCounted<T>(fn: () => Promise<T>): Promise<{ result: T; bytes: number; lines: number }> {
  const original = process.stdout.write;
  let bytes = 0;
  let lines = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    lines += 1;
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    if (callback) process.nextTick(callback);
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await fn();
    return { result, bytes, lines };
  } finally {
    process.stdout.write = original;
  }
}
