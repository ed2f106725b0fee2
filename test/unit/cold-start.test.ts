/** builtOnFirstCall: the runtime behind each Lambda handler is built once, and a failed build is tried again. */
import type { Context } from 'aws-lambda';
import { builtOnFirstCall } from '../../lambdas/config/cold-start';

const context = {} as Context;

test('builds the runtime on the first call and reuses it for later ones', async () => {
  let builds = 0;
  const handler = builtOnFirstCall(async () => {
    builds += 1;
    return async (event: number) => event * 2;
  });
  expect(builds).toBe(0);
  expect(await handler(1, context)).toBe(2);
  expect(await handler(21, context)).toBe(42);
  expect(builds).toBe(1);
});

test('a failed cold start (e.g. Secrets Manager unreachable) is built again on the next call, not cached', async () => {
  const attempts: string[] = [];
  const handler = builtOnFirstCall(async () => {
    attempts.push('build');
    if (attempts.length === 1) throw new Error('secret unreadable');
    return async (event: string) => `handled ${event}`;
  });
  await expect(handler('a', context)).rejects.toThrow('secret unreadable');
  expect(await handler('b', context)).toBe('handled b');
  expect(attempts).toEqual(['build', 'build']);
});

test('a run that fails after a good build keeps the built runtime (no rebuild of clients and secret checks)', async () => {
  let builds = 0;
  const handler = builtOnFirstCall(async () => {
    builds += 1;
    return async (event: string) => {
      if (event === 'bad') throw new Error('Stripe API unreachable');
      return `handled ${event}`;
    };
  });
  await expect(handler('bad', context)).rejects.toThrow('Stripe API unreachable');
  expect(await handler('good', context)).toBe('handled good');
  expect(builds).toBe(1);
});
