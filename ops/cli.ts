/**
 * `npm run ops -- <command> --stage <test|live>`: the on-call tool (docs/runbook.md). It reads the
 * stage's DLQ and ledger with your AWS credentials and region (the standard AWS environment), and
 * `redrive` moves dead-lettered events back to the provisioning queue. It never prints a license key.
 *
 * Exit codes: 0 done · 1 the thing asked for is not there (or AWS refused) · 2 the command line is wrong.
 */
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../lambdas/adapters/aws-clients';
import { createDocumentClient, createDynamoDbClient } from '../lambdas/adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../lambdas/adapters/dynamodb-purchase-ledger';
import { stageNamePrefix, stageResourceNames } from '../lib/config/stage-config';
import {
  describeEvent,
  describePurchase,
  listDeadLetters,
  OpsError,
  redriveDeadLetters,
  type DeadLetterRow,
} from './operations';
import { SqsDeadLetterQueue } from './sqs-dead-letter-queue';

const USAGE = `Usage: npm run ops -- <command> --stage <test|live> [--json]

  dlq                          the dead-lettered events, and why each one failed
  redrive <evt_…> [<evt_…> …]  put these events back on the provisioning queue (after fixing the cause)
  redrive --all                put every dead-lettered event back
  purchase <sub_… | pi_…>      a purchase: its facts, its license (never the key) and its audit history
  event <evt_…>                why an event failed, and whether it is in the DLQ

Uses your AWS credentials and region (AWS_PROFILE / AWS_REGION). --json prints JSON instead of text.`;

class UsageError extends Error {}

interface CommandLine {
  command: 'dlq' | 'redrive' | 'purchase' | 'event';
  args: string[];
  stage: 'test' | 'live';
  json: boolean;
  all: boolean;
}

export function parseCommandLine(argv: string[]): CommandLine {
  const positional: string[] = [];
  let stage: string | undefined;
  let json = false;
  let all = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--stage') stage = argv[++i];
    else if (arg.startsWith('--stage=')) stage = arg.slice('--stage='.length);
    else if (arg === '--json') json = true;
    else if (arg === '--all') all = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const [command, ...args] = positional;
  if (command !== 'dlq' && command !== 'redrive' && command !== 'purchase' && command !== 'event') {
    throw new UsageError(command === undefined ? 'name a command' : `unknown command ${JSON.stringify(command)}`);
  }
  if (stage !== 'test' && stage !== 'live') throw new UsageError(`--stage must be test or live${stage === undefined ? '' : `, got ${JSON.stringify(stage)}`}`);
  const wanted = { dlq: [0, 0], redrive: all ? [0, 0] : [1, Infinity], purchase: [1, 1], event: [1, 1] }[command];
  if (args.length < wanted[0] || args.length > wanted[1]) {
    throw new UsageError(command === 'redrive' ? 'redrive takes event ids, or --all (not both)' : `${command} takes ${wanted[0] === 0 ? 'no argument' : 'one argument'}`);
  }
  if (all && command !== 'redrive') throw new UsageError('--all goes with redrive');
  return { command, args, stage, json, all };
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new OpsError(`queue ${name} not found`);
  return QueueUrl;
}

async function run(line: CommandLine, print: (text: string) => void): Promise<void> {
  const names = stageResourceNames(stageNamePrefix(line.stage));
  const sqs = createSqsClient();
  const dynamoDb = createDynamoDbClient();
  try {
    const ledger = new DynamoDbPurchaseLedger(createDocumentClient(dynamoDb), names.ledgerTable);
    const dlq = new SqsDeadLetterQueue(sqs, await queueUrl(sqs, names.deadLetterQueue), await queueUrl(sqs, names.provisioningQueue));
    const out = (value: unknown, text: () => string[]) => print(line.json ? JSON.stringify(value, null, 2) : text().join('\n'));

    switch (line.command) {
      case 'dlq': {
        const rows = await listDeadLetters(dlq, ledger);
        out(rows, () => [`${rows.length} event(s) in ${names.deadLetterQueue}`, ...rows.flatMap(describeRow)]);
        break;
      }
      case 'redrive': {
        const moved = await redriveDeadLetters(dlq, ledger, line.all ? { all: true } : { eventIds: line.args });
        out(moved, () => [`moved ${moved.length} event(s) back to ${names.provisioningQueue}`, ...moved.flatMap(describeRow)]);
        break;
      }
      case 'purchase': {
        const report = await describePurchase(ledger, line.args[0]);
        if (!report) throw new OpsError(`no purchase ${line.args[0]} in ${names.ledgerTable}`);
        out(report, () => [
          `${report.purchaseId}  customer ${report.customerId ?? '-'}  ${report.email ?? '(no e-mail)'}`,
          `  now: ${JSON.stringify(report.summary)}`,
          ...(report.emailsWaiting.length > 0 ? [`  e-mails waiting to be sent: ${report.emailsWaiting.join(', ')}`] : []),
          `  history (${report.history.length}):`,
          ...report.history.map((entry) => `    ${entry.at}  ${entry.sourceType.padEnd(36)} ${entry.outcome.padEnd(9)} ${entry.sourceId}  ${entry.notes.join('; ')}`),
        ]);
        break;
      }
      case 'event': {
        const report = await describeEvent(dlq, ledger, line.args[0]);
        out(report, () => [
          `${report.eventId}: ${report.inDeadLetterQueue ? 'in the DLQ' : 'not in the DLQ'}`,
          report.failure
            ? `  failed ${report.failure.attempts} time(s), ${report.failure.firstAt} … ${report.failure.lastAt}: ${report.failure.reason} (${report.failure.retryable ? 'retryable' : 'final'}) ${report.failure.message}`
            : '  no failure recorded',
        ]);
        break;
      }
    }
  } finally {
    sqs.destroy();
    dynamoDb.destroy();
  }
}

function describeRow(row: DeadLetterRow): string[] {
  const attempts = row.attempts === null ? '' : ` after ${row.attempts} attempt(s)`;
  return [
    `${row.eventId ?? '(no event id)'}  ${row.eventType ?? '?'}  ${row.reason ?? 'reason unknown'}${attempts}  queued ${row.enqueuedAt ?? '?'}${row.purchaseId ? `  purchase ${row.purchaseId}` : ''}`,
    ...(row.message ? [`    ${row.message}`] : []),
  ];
}

async function main(): Promise<void> {
  let line: CommandLine;
  try {
    line = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${USAGE}\n`);
    process.exit(error.message ? 2 : 0);
  }
  try {
    await run(line, (text) => process.stdout.write(`${text}\n`));
  } catch (error) {
    process.stderr.write(`${error instanceof OpsError ? '' : `${(error as Error).name}: `}${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
