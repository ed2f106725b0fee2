/**
 * Typed, path-aware reads from an untrusted Stripe payload.
 *
 * Every accessor either returns a value of the promised type or throws a ProcessingError whose
 * message names the exact field path (`data.object.lines.data[0].period.end`), so a failure in
 * the DLQ tells on-call which field Stripe sent differently. No accessor can raise a TypeError:
 * that is the guarantee the parser builds on. Pure; no imports beyond the error type.
 */
import { ProcessingError, type FailureReason } from '../domain/errors';

type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}

/** A JSON object at a known path. `reason` is what a bad or missing field fails with. */
export class PayloadNode {
  constructor(
    readonly value: JsonObject,
    readonly path: string,
    private readonly reason: FailureReason = 'unsupported_payload_shape',
  ) {}

  static of(value: unknown, path: string, reason: FailureReason = 'unsupported_payload_shape'): PayloadNode {
    if (!isJsonObject(value)) {
      throw new ProcessingError(reason, `${path} must be an object, got ${describe(value)}`);
    }
    return new PayloadNode(value, path, reason);
  }

  pathOf(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** Own properties only: a payload key like `constructor` must not resolve to Object.prototype. */
  raw(key: string): unknown {
    return Object.hasOwn(this.value, key) ? this.value[key] : undefined;
  }

  /** True when the key is present at all (even as null): tells old shapes from new ones. */
  has(key: string): boolean {
    return Object.hasOwn(this.value, key);
  }

  fail(key: string, problem: string): never {
    throw new ProcessingError(this.reason, `${this.pathOf(key)} ${problem}`);
  }

  private bad(key: string, expected: string, value: unknown): never {
    const got = value === undefined ? 'is missing' : `is ${describe(value)}`;
    return this.fail(key, `must be ${expected}, but ${got}`);
  }

  child(key: string): PayloadNode {
    const value = this.raw(key);
    if (!isJsonObject(value)) this.bad(key, 'an object', value);
    return new PayloadNode(value, this.pathOf(key), this.reason);
  }

  optionalChild(key: string): PayloadNode | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    if (!isJsonObject(value)) this.bad(key, 'an object or null', value);
    return new PayloadNode(value, this.pathOf(key), this.reason);
  }

  string(key: string): string {
    const value = this.raw(key);
    if (typeof value !== 'string' || value === '') this.bad(key, 'a non-empty string', value);
    return value;
  }

  /** Absent, null and '' read as null; any other non-string is a shape error. */
  optionalString(key: string): string | null {
    const value = this.raw(key);
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') this.bad(key, 'a string or null', value);
    return value;
  }

  number(key: string): number {
    const value = this.raw(key);
    if (typeof value !== 'number' || !Number.isFinite(value)) this.bad(key, 'a number', value);
    return value;
  }

  optionalNumber(key: string): number | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.bad(key, 'a number or null', value);
    return value;
  }

  boolean(key: string): boolean {
    const value = this.raw(key);
    if (typeof value !== 'boolean') this.bad(key, 'a boolean', value);
    return value;
  }

  optionalBoolean(key: string): boolean | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'boolean') this.bad(key, 'a boolean or null', value);
    return value;
  }

  /**
   * A Stripe reference: the id string, or the expanded object's `id` (any reference can arrive
   * expanded when the endpoint or a Stripe-side integration asked for it).
   */
  optionalId(key: string): string | null {
    const value = this.raw(key);
    if (value === undefined || value === null || value === '') return null;
    if (typeof value === 'string') return value;
    if (isJsonObject(value)) return new PayloadNode(value, this.pathOf(key), this.reason).string('id');
    return this.bad(key, 'an id string or an expanded object', value);
  }

  id(key: string): string {
    const id = this.optionalId(key);
    if (id === null) this.bad(key, 'an id string or an expanded object', this.raw(key));
    return id;
  }

  /** The items of a Stripe list object (`{object: 'list', data: [...]}`). Non-object items are shape errors. */
  listItems(key: string): PayloadNode[] {
    const list: PayloadNode = this.child(key);
    const data = list.raw('data');
    if (!Array.isArray(data)) list.bad('data', 'an array', data);
    return data.map((item, index) => PayloadNode.of(item, `${list.pathOf('data')}[${index}]`, this.reason));
  }

  optionalListItems(key: string): PayloadNode[] | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    return this.listItems(key);
  }
}
