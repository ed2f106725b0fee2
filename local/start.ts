/**
 * `npm start`: runs the whole pipeline on this machine (local/pipeline.ts), configured by the
 * environment (local/local-config.ts, README "Run it locally"). Prints where everything is, then one line
 * per thing that happens. Ctrl-C (SIGINT) or SIGTERM stops it cleanly and exits 0; a taken port or
 * a data folder in use by another run exits 1 with what to do about it.
 */
import './process-defaults';
import * as path from 'node:path';
import { DataFolderInUseError } from './data-folder-lock';
import { LOCAL_ENV, LocalConfigError, readLocalOptions } from './local-config';
import type { ConsoleOutput } from './console-output';
import { PortInUseError, startLocalPipeline, type RunningLocalPipeline } from './pipeline';

/** A second Ctrl-C sooner than this is the same keypress (see `stop`). */
const FORCE_AFTER_MS = 1000;

const write = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Paths under the working folder are shown relative to it: shorter, and what people type. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function banner(pipeline: RunningLocalPipeline): string[] {
  const to = pipeline.trafficOrchestrator;
  const lines = [
    '',
    'Stripe → Traffic Orchestrator licenses: local pipeline',
    `  Webhook endpoint     POST ${pipeline.webhookUrl}`,
    pipeline.generatedSecretFile
      ? `  Signing secret       ${pipeline.webhookSecrets[0]}  (generated for development, kept in ${shown(pipeline.generatedSecretFile)}; set ${LOCAL_ENV.webhookSecret} to use your own)`
      : `  Signing secret       from ${LOCAL_ENV.webhookSecret}`,
    to.builtIn
      ? `  Traffic Orchestrator built-in fake at ${to.url} (API key ${to.apiKey}); set ${LOCAL_ENV.toApiUrl} and ${LOCAL_ENV.toApiKey} for a real one`
      : `  Traffic Orchestrator ${to.url} (from ${LOCAL_ENV.toApiUrl})`,
    to.builtIn
      ? `  Licenses             curl ${pipeline.url}/local/licenses`
      : `  Licenses             curl '${pipeline.url}/local/licenses?purchase=<sub_… or pi_…>'`,
    `  Purchases            curl ${pipeline.url}/local/purchases/<sub_… or pi_…>   (ledger state and audit history)`,
    `  E-mails              written to ${shown(pipeline.outboxDir)}/   (list: curl ${pipeline.url}/local/outbox)`,
    `  Data                 ${shown(pipeline.dataDir)}/ (DynamoDB files, queued messages, built-in TO licenses); kept across restarts`,
    `  Queue                batches of up to ${pipeline.queue.batchSize}, visibility timeout ${pipeline.queue.visibilityTimeoutSeconds} s, DLQ after ${pipeline.queue.maxReceiveCount} receives`
      + (pipeline.queue.restored.provisioning + pipeline.queue.restored.deadLetter > 0
        ? ` (restored ${pipeline.queue.restored.provisioning} queued and ${pipeline.queue.restored.deadLetter} dead-lettered messages)`
        : ''),
    pipeline.stripeApiUrl
      ? `  Stripe API features  (reconciliation): enabled, Stripe API at ${pipeline.stripeApiUrl}`
      : `  Stripe API features  (reconciliation): disabled (set ${LOCAL_ENV.stripeApiUrl} to enable)`,
    ...pipeline.scheduledJobs.map((job, i) => `${i === 0 ? '  Scheduled jobs       ' : '                       '}${job.name} every ${job.everySeconds} s   (run it now: curl -X POST ${pipeline.url}/local/jobs/${job.name})`),
    `  Stripe CLI           stripe listen --forward-to localhost:${pipeline.port}${new URL(pipeline.webhookUrl).pathname}`,
    `                       (then restart with ${LOCAL_ENV.webhookSecret} set to the whsec_… secret it prints)`,
    `  Demo                 npm run demo   (in another terminal: a customer's life, step by step)`,
    '',
  ];
  return lines;
}

async function main(): Promise<void> {
  let options;
  try {
    options = readLocalOptions();
  } catch (error) {
    if (error instanceof LocalConfigError) {
      process.stderr.write(`${error.message}\n(see "Run it locally" in README.md for every variable)\n`);
      process.exit(1);
    }
    throw error;
  }
  const output: ConsoleOutput = { level: options.logLevel, write };

  let pipeline: RunningLocalPipeline;
  try {
    pipeline = await startLocalPipeline(options, output);
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(
        `Cannot start: port ${error.port} on ${error.host} is already in use (another npm start, or another program).\n`
        + `Stop that program, or choose another port with the ${LOCAL_ENV.port} variable, e.g.  ${LOCAL_ENV.port}=${error.port === 0 ? 3001 : error.port + 1} npm start\n`,
      );
      process.exit(1);
    }
    if (error instanceof DataFolderInUseError) {
      process.stderr.write(
        `Cannot start: the data folder ${shown(error.folder)} is in use by another local pipeline (pid ${error.ownerPid}).\n`
        + `Stop that one, or use another folder with the ${LOCAL_ENV.dataDir} variable, e.g.  ${LOCAL_ENV.dataDir}=.local-2 npm start\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`Cannot start the local pipeline: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  }

  for (const line of banner(pipeline)) write(line);
  // Everything up to here, loading the TypeScript included (local/register-ts.js), is what a person waits for.
  write(`Ready on ${pipeline.url} (started in ${process.uptime().toFixed(1)} s). Press Ctrl-C to stop.`);

  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stoppingSince !== undefined) {
      // Ctrl-C reaches this process twice: from the terminal, and forwarded by npm. Only a signal
      // that comes clearly later is a person asking again.
      if (Date.now() - stoppingSince < FORCE_AFTER_MS) return;
      write(`${signal} again: exiting now (queued messages are in the data folder as of the last save).`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    write(`${signal}: stopping. Webhooks are no longer accepted; the batch in progress finishes… (${signal} again to force)`);
    pipeline.stop().then(
      () => {
        write('Stopped. Queued messages, ledger and licenses are saved in the data folder.');
        process.exit(0);
      },
      (error) => {
        process.stderr.write(`Shutdown failed: ${(error as Error)?.message ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
