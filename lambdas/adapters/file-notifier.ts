/**
 * Notifier for local runs and tests: instead of sending, each e-mail lands in a folder (the
 * "outbox") that people and tests can read.
 *
 * Format, one file per message:
 *   <dir>/<sent at, ISO-8601 basic UTC>-<purchaseId>-<template>-<message tag>.json
 *   e.g. 20270303T101530.123Z-sub_123-license_delivered-3f2a9c0b1d4e.json
 * holding the whole EmailMessage (to, subject, text, html, template, purchaseId, messageId) plus
 * `sentAt` (ISO-8601), pretty-printed. The name sorts by time; the message tag is the first 12 hex
 * digits of sha256(messageId), which is how a retried send of the same message is recognized and
 * skipped (first write wins, as with a real e-mail that cannot be unsent). `readOutbox` returns
 * them in order; the demo prints their `text`.
 *
 * Each file is written under a temporary dot-name in the same folder and renamed into place, so a
 * reader never sees half a message. The files hold license keys, so they are private to the user
 * (0600, folder 0700).
 *
 * Sends to one folder are serialized within the process (the local pipeline is one process), which
 * also makes the time stamps strictly increasing: two messages in the same millisecond still sort in
 * the order they were sent. Two processes writing one folder are not coordinated.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { systemClock, type Clock } from '../ports/clock';
import type { EmailMessage, Notifier } from '../ports/notifier';

/** An outbox entry: the message as sent, when, and the file it is in. */
export interface OutboxEmail extends EmailMessage {
  sentAt: string;
  file: string;
}

const OUTBOX_FILE = /^\d{8}T\d{6}\.\d{3}Z-.+-[0-9a-f]{12}\.json$/;

interface FolderState {
  /** The previous send's promise: the next send starts after it settles. */
  tail: Promise<unknown>;
  lastStampMs: number;
}

/** Per resolved folder, so two FileNotifier instances on one folder still take turns. */
const folders = new Map<string, FolderState>();

export class FileNotifier implements Notifier {
  private readonly dir: string;

  constructor(dir: string, private readonly clock: Clock = systemClock) {
    this.dir = path.resolve(dir);
  }

  send(message: EmailMessage): Promise<void> {
    let state = folders.get(this.dir);
    if (state === undefined) {
      state = { tail: Promise.resolve(), lastStampMs: 0 };
      folders.set(this.dir, state);
    }
    const folder = state;
    const run = folder.tail.then(() => this.write(message, folder));
    folder.tail = run.catch(() => undefined);
    return run;
  }

  private async write(message: EmailMessage, folder: FolderState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tag = messageTag(message.messageId);
    const existing = await readdir(this.dir);
    if (existing.some((name) => OUTBOX_FILE.test(name) && name.endsWith(`-${tag}.json`))) return;

    const stampMs = Math.max(this.clock.nowMs(), folder.lastStampMs + 1);
    folder.lastStampMs = stampMs;
    const sentAt = new Date(stampMs).toISOString();
    const name = `${basicIso(sentAt)}-${fileSafe(message.purchaseId)}-${fileSafe(message.template)}-${tag}.json`;
    const content = `${JSON.stringify({ sentAt, ...message }, null, 2)}\n`;

    const tmp = path.join(this.dir, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
      await rename(tmp, path.join(this.dir, name));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}

/** Every message in the outbox folder, oldest first; an empty list when the folder does not exist. */
export async function readOutbox(dir: string): Promise<OutboxEmail[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.filter((name) => OUTBOX_FILE.test(name)).sort();
  return Promise.all(files.map(async (file) => {
    const raw = await readFile(path.join(dir, file), 'utf8');
    try {
      return { ...(JSON.parse(raw) as Omit<OutboxEmail, 'file'>), file };
    } catch (error) {
      throw new Error(`Outbox file ${file} is not valid JSON`, { cause: error });
    }
  }));
}

function messageTag(messageId: string): string {
  return createHash('sha256').update(messageId).digest('hex').slice(0, 12);
}

/** `2027-03-03T10:15:30.123Z` → `20270303T101530.123Z`: still ISO-8601, and valid in any file system. */
function basicIso(iso: string): string {
  return iso.replace(/[-:]/g, '');
}

/** Keeps ids readable in a file name without letting them add separators or path parts. */
function fileSafe(value: string): string {
  return (value.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64)) || 'none';
}
