/**
 * A Lambda handler whose runtime (validated configuration, adapters) is built on the first
 * invocation and reused for the life of the execution environment.
 */
import type { Context } from 'aws-lambda';

export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

export function builtOnFirstCall<E, R>(build: () => Promise<LambdaHandler<E, R>>): LambdaHandler<E, R> {
  let ready: Promise<LambdaHandler<E, R>> | undefined;
  return async (event, context) => {
    // A failed build (e.g. Secrets Manager unreachable) must not poison later invocations; a failed
    // run of a built handler (e.g. Stripe down for one reconciliation run) keeps the runtime.
    ready ??= build().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return (await ready)(event, context);
  };
}
