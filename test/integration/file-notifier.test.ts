import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileNotifier, readOutbox } from '../../lambdas/adapters/file-notifier';
import type { Clock } from '../../lambdas/ports/clock';
import type { EmailMessage } from '../../lambdas/ports/notifier';

/** A clock the test moves by hand, so file order never depends on how fast the machine is. */
class ManualClock implements Clock {
  constructor(private ms: number) {}
  nowMs(): number { return this.ms; }
  set(ms: number): void { this.ms = ms; }
}

const T0 = Date.UTC(2027, 2, 3, 10, 15, 30, 123);

function message(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to: 'ada@example.com',
    subject: 'Your Example SaaS license key',
    text: 'Hi Ada,\n\n    TOKEY-SECRET\n',
    html: '<p>Hi Ada,</p><p>TOKEY-SECRET</p>',
    template: 'license_delivered',
    purchaseId: 'sub_123',
    messageId: 'evt_1:license_delivered',
    ...overrides,
  };
}

describe('FileNotifier', () => {
  let root: string;
  let outbox: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'outbox-test-'));
    outbox = path.join(root, 'nested', 'outbox');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the folder and writes the whole message as one JSON file named by time, purchase and template', async () => {
    await new FileNotifier(outbox, new ManualClock(T0)).send(message());

    const files = await readdir(outbox);
    expect(files).toEqual([expect.stringMatching(/^20270303T101530\.123Z-sub_123-license_delivered-[0-9a-f]{12}\.json$/)]);
    const stored = JSON.parse(await readFile(path.join(outbox, files[0]!), 'utf8'));
    expect(stored).toEqual({ sentAt: '2027-03-03T10:15:30.123Z', ...message() });
  });

  it('keeps the files private to the user (they hold license keys)', async () => {
    await new FileNotifier(outbox, new ManualClock(T0)).send(message());
    const [file] = await readdir(outbox);
    expect((await stat(path.join(outbox, file!))).mode & 0o777).toBe(0o600);
    expect((await stat(outbox)).mode & 0o777).toBe(0o700);
  });

  it('keeps ids that are not file-name safe from escaping the folder', async () => {
    await new FileNotifier(outbox, new ManualClock(T0)).send(message({ purchaseId: '../../etc/passwd', template: 'a/b' }));
    const files = await readdir(outbox);
    expect(files).toEqual([expect.stringMatching(/^20270303T101530\.123Z-______etc_passwd-a_b-[0-9a-f]{12}\.json$/)]);
    expect(await readdir(root)).toEqual(['nested']);
  });

  it('skips a message whose messageId is already in the outbox, even from another instance at a later time', async () => {
    const clock = new ManualClock(T0);
    await new FileNotifier(outbox, clock).send(message());
    clock.set(T0 + 60_000);
    await new FileNotifier(outbox, clock).send(message({ subject: 'second attempt' }));
    await new FileNotifier(outbox, clock).send(message({ messageId: 'evt_2:license_delivered' }));

    const sent = await readOutbox(outbox);
    expect(sent.map((m) => [m.messageId, m.subject])).toEqual([
      ['evt_1:license_delivered', 'Your Example SaaS license key'],
      ['evt_2:license_delivered', 'Your Example SaaS license key'],
    ]);
  });

  it('does not duplicate when the same message is sent concurrently', async () => {
    const notifier = new FileNotifier(outbox, new ManualClock(T0));
    await Promise.all([notifier.send(message()), notifier.send(message()), new FileNotifier(outbox, new ManualClock(T0)).send(message())]);
    expect(await readdir(outbox)).toHaveLength(1);
  });

  it('leaves no temporary file behind', async () => {
    const notifier = new FileNotifier(outbox, new ManualClock(T0));
    await Promise.all(Array.from({ length: 5 }, (_, i) => notifier.send(message({ messageId: `evt_${i}:payment_failed`, template: 'payment_failed' }))));
    const files = await readdir(outbox);
    expect(files).toHaveLength(5);
    expect(files.filter((f) => f.startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports a write failure to the caller, and a failed send does not block the next one', async () => {
    // A plain file where the folder should be: the send cannot write.
    const notifier = new FileNotifier(path.join(root, 'not-a-folder'), new ManualClock(T0));
    await writeFile(path.join(root, 'not-a-folder'), 'in the way');
    await expect(notifier.send(message())).rejects.toThrow(/EEXIST|ENOTDIR/);

    await rm(path.join(root, 'not-a-folder'));
    await notifier.send(message());
    expect(await readOutbox(path.join(root, 'not-a-folder'))).toHaveLength(1);
  });

  it('readOutbox returns messages in the order they were sent, including within one millisecond', async () => {
    const clock = new ManualClock(T0);
    const notifier = new FileNotifier(outbox, clock);
    await notifier.send(message({ messageId: 'a', template: 'payment_failed' }));
    await notifier.send(message({ messageId: 'b', template: 'payment_reminder' }));
    clock.set(T0 + 3 * 86_400_000);
    await notifier.send(message({ messageId: 'c', template: 'downgraded', purchaseId: 'pi_A' }));
    await notifier.send(message({ messageId: 'd', template: 'suspended', purchaseId: 'pi_A' }));

    const sent = await readOutbox(outbox);
    expect(sent.map((m) => [m.messageId, m.template, m.sentAt])).toEqual([
      ['a', 'payment_failed', '2027-03-03T10:15:30.123Z'],
      ['b', 'payment_reminder', '2027-03-03T10:15:30.124Z'],
      ['c', 'downgraded', '2027-03-06T10:15:30.123Z'],
      ['d', 'suspended', '2027-03-06T10:15:30.124Z'],
    ]);
    expect(sent[0]).toMatchObject({ ...message({ messageId: 'a', template: 'payment_failed' }), file: expect.stringMatching(/\.json$/) });
  });

  it('readOutbox ignores files that are not outbox messages and returns [] for a missing folder', async () => {
    expect(await readOutbox(path.join(root, 'missing'))).toEqual([]);
    await new FileNotifier(outbox, new ManualClock(T0)).send(message());
    await writeFile(path.join(outbox, 'README.txt'), 'not a message');
    await writeFile(path.join(outbox, '.20270303T101530.123Z-x-y-0123456789ab.json.1.tmp'), '{"half":');
    expect(await readOutbox(outbox)).toHaveLength(1);
  });
});
