/**
 * The provisioning queue and its DLQ on fauxqs (the SQS emulator), with the deployed redrive
 * policy, and kept across restarts.
 *
 * fauxqs holds messages in memory only. So that a restart (or a crash) loses nothing, every
 * message still in either queue is written to `<dataDir>/queues.json`: right after each accepted
 * webhook (before Stripe gets its 200), every second while something changed, and at shutdown once
 * the in-flight batch has finished. The next start sends them again. A message that was already
 * processed before a crash may come back once more; the processor's idempotency (keyed on the
 * Stripe event id) makes that harmless. A restored message starts again at receive count 1.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsClient } from '../lambdas/adapters/aws-clients';
import { EVENT_MESSAGE_ATTRIBUTES } from '../lambdas/adapters/sqs-event-queue';
import { createQueueWithDeadLetter, type QueueRef } from './sqs-queues';

// fauxqs is ESM-only. This file runs as CommonJS (local/register-ts.js for npm start, ts-jest in
// tests); both keep a dynamic import() as a real import, where a static import would become a failing require().
type Fauxqs = typeof import('fauxqs', { with: { 'resolution-mode': 'import' } });
type FauxqsServer = Awaited<ReturnType<Fauxqs['startFauxqs']>>;
type StoredMessage = NonNullable<ReturnType<FauxqsServer['inspectQueue']>>['messages']['ready'][number];

export const QUEUE_NAMES = { provisioning: 'stripe-events-local', deadLetter: 'stripe-events-local-dlq' } as const;
const SNAPSHOT_FILE = 'queues.json';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_INTERVAL_MS = 1000;

export interface SavedMessage {
  body: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  /** When it was first sent (Unix ms), for the people reading the file. */
  sentTimestamp: number;
}

interface Snapshot {
  version: number;
  provisioning: SavedMessage[];
  deadLetter: SavedMessage[];
}

export interface QueueDepths {
  /** Waiting or being retried in the provisioning queue. */
  queued: number;
  /** Received and not yet deleted (being processed, or failed and waiting for its visibility timeout). */
  inFlight: number;
  deadLettered: number;
}

export interface LocalQueues {
  /** The SQS endpoint (http://127.0.0.1:<port>) for AWS_ENDPOINT_URL_SQS. */
  endpoint: string;
  provisioning: QueueRef;
  deadLetter: QueueRef;
  /** How many messages the last start put back from the data folder. */
  restored: { provisioning: number; deadLetter: number };
  depths(): QueueDepths;
  /** The Stripe event ids of the messages in the DLQ (from their eventId attribute). */
  deadLetteredEventIds(): Set<string>;
  /** Writes queues.json now if the queues changed since the last write. */
  save(): Promise<void>;
  /** Writes the final queues.json and stops the emulator. */
  stop(): Promise<void>;
}

export interface LocalQueuesOptions {
  dataDir: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  onError: (message: string, error: unknown) => void;
}

export async function startLocalQueues(options: LocalQueuesOptions): Promise<LocalQueues> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const sqs = createSqsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const { queue: provisioning, deadLetter } = await createQueueWithDeadLetter(sqs, {
      name: QUEUE_NAMES.provisioning,
      deadLetterName: QUEUE_NAMES.deadLetter,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      maxReceiveCount: options.maxReceiveCount,
    });

    const file = path.join(options.dataDir, SNAPSHOT_FILE);
    const saved = await readSnapshot(file);
    for (const message of saved.provisioning) await resend(sqs, provisioning.url, message);
    for (const message of saved.deadLetter) await resend(sqs, deadLetter.url, message);

    let lastWritten = JSON.stringify(saved);
    let writing: Promise<void> = Promise.resolve();
    /** A write queued behind the running one and not started yet. */
    let waiting: Promise<void> | null = null;
    const save = (): Promise<void> => {
      // Serialized: two writes never race on the file. Callers that arrive while a write waits
      // share it: it takes its snapshot when it starts, so their messages are in it too (a burst
      // of webhooks costs one or two writes, not one each).
      if (waiting) return waiting;
      const next = writing.then(async () => {
        waiting = null;
        const snapshot: Snapshot = {
          version: SNAPSHOT_VERSION,
          provisioning: messagesOf(server, QUEUE_NAMES.provisioning),
          deadLetter: messagesOf(server, QUEUE_NAMES.deadLetter),
        };
        const text = JSON.stringify(snapshot);
        if (text === lastWritten) return;
        await writeAtomically(file, `${JSON.stringify(snapshot, null, 2)}\n`);
        lastWritten = text;
      });
      waiting = next;
      writing = next.catch(() => undefined);
      return next;
    };
    const timer = setInterval(() => {
      save().catch((error) => options.onError('could not save the queues to the data folder', error));
    }, SNAPSHOT_INTERVAL_MS);
    timer.unref();

    return {
      endpoint,
      provisioning,
      deadLetter,
      restored: { provisioning: saved.provisioning.length, deadLetter: saved.deadLetter.length },
      depths: () => {
        const main = server.inspectQueue(QUEUE_NAMES.provisioning);
        const dlq = server.inspectQueue(QUEUE_NAMES.deadLetter);
        const total = (q: typeof main) => (q ? q.messages.ready.length + q.messages.delayed.length + q.messages.inflight.length : 0);
        return { queued: total(main), inFlight: main?.messages.inflight.length ?? 0, deadLettered: total(dlq) };
      },
      deadLetteredEventIds: () => new Set(messagesOf(server, QUEUE_NAMES.deadLetter)
        .map((message) => message.messageAttributes?.[EVENT_MESSAGE_ATTRIBUTES.eventId]?.StringValue)
        .filter((id): id is string => typeof id === 'string')),
      save,
      async stop() {
        clearInterval(timer);
        await save();
        sqs.destroy();
        await server.stop();
      },
    };
  } catch (error) {
    sqs.destroy();
    await server.stop();
    throw error;
  }
}

/** Every message in a queue, whatever its state (ready, delayed, in flight), oldest first. */
function messagesOf(server: FauxqsServer, name: string): SavedMessage[] {
  const queue = server.inspectQueue(name);
  if (!queue) return [];
  const all: StoredMessage[] = [
    ...queue.messages.ready,
    ...queue.messages.delayed,
    ...queue.messages.inflight.map((entry) => entry.message),
  ];
  return all
    .sort((a, b) => a.sentTimestamp - b.sentTimestamp)
    .map((message) => ({ body: message.body, messageAttributes: message.messageAttributes, sentTimestamp: message.sentTimestamp }));
}

async function resend(sqs: SQSClient, queueUrl: string, message: SavedMessage): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.messageAttributes ?? {})) {
    attributes[name] = value.BinaryValue !== undefined
      ? { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue, 'base64') }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  await sqs.send(new SendMessageCommand({
    QueueUrl: queueUrl,
    MessageBody: message.body,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  }));
}

async function readSnapshot(file: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: SNAPSHOT_VERSION, provisioning: [], deadLetter: [] };
    throw error;
  }
  let parsed: Partial<Snapshot>;
  try {
    parsed = JSON.parse(text) as Partial<Snapshot>;
  } catch {
    // Refuse to start rather than silently drop queued events: the file may be fixed by hand.
    throw new Error(`${file} is not valid JSON; fix or move it (it holds the queued Stripe events of the last run)`);
  }
  if (parsed.version !== SNAPSHOT_VERSION || !Array.isArray(parsed.provisioning) || !Array.isArray(parsed.deadLetter)) {
    throw new Error(`${file} is not a version ${SNAPSHOT_VERSION} queue snapshot; fix or move it`);
  }
  return { version: SNAPSHOT_VERSION, provisioning: parsed.provisioning, deadLetter: parsed.deadLetter };
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, file);
}
