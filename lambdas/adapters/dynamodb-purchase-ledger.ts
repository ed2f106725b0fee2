/**
 * PurchaseLedger on DynamoDB (layout in ./ledger-schema.ts). Only single-item conditional writes:
 * dynalite, our local DynamoDB, has no transactions, and none are needed because a purchase's
 * lease serializes its writers.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ProcessingError } from '../domain/errors';
import type { PurchaseState } from '../domain/purchase';
import type { AuditEntry, FailureRecord, PurchaseLedger } from '../ports/purchase-ledger';
import { LEDGER_INDEXES, LEDGER_TTL_ATTRIBUTE } from './ledger-schema';

const STATE = 'STATE';
const GRACE_BUCKET = 'GRACE';
/** Failure and no-op records are kept long enough for the DLQ (14 days) plus a margin. */
const EVENT_RECORD_TTL_SECONDS = 30 * 86_400;

const purchaseKey = (purchaseId: string) => ({ pk: `PURCHASE#${purchaseId}`, sk: STATE });
const eventKey = (eventId: string, kind: 'FAILURE' | 'NOOP') => ({ pk: `EVENT#${eventId}`, sk: kind });

export class DynamoDbPurchaseLedger implements PurchaseLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async get(purchaseId: string): Promise<PurchaseState | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: purchaseKey(purchaseId), ConsistentRead: true }));
    return (Item?.state as PurchaseState | undefined) ?? null;
  }

  async acquire(purchaseId: string, owner: string, leaseMs: number): Promise<PurchaseState | null> {
    const now = this.nowMs();
    try {
      const { Attributes } = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: purchaseKey(purchaseId),
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner, ':until': now + leaseMs, ':now': now },
        ReturnValues: 'ALL_NEW',
      }));
      return (Attributes?.state as PurchaseState | undefined) ?? null;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ProcessingError('purchase_busy', `purchase ${purchaseId} is being processed by another worker`);
      }
      throw error;
    }
  }

  async save(state: PurchaseState, owner: string, graceNextAt: number | null): Promise<void> {
    const values: Record<string, unknown> = { ':state': state, ':owner': owner, ':now': this.nowMs(), ':one': 1, ':zero': 0 };
    const set = ['#state = :state', 'updatedAtMs = :now', 'version = if_not_exists(version, :zero) + :one'];
    const remove: string[] = [];
    if (state.customerId) { set.push('customerId = :customerId'); values[':customerId'] = state.customerId; }
    // Sparse index: only purchases with a pending ladder step carry the grace attributes.
    if (graceNextAt !== null) {
      set.push('graceBucket = :bucket', 'graceNextAt = :graceNextAt');
      values[':bucket'] = GRACE_BUCKET;
      values[':graceNextAt'] = graceNextAt;
    } else {
      remove.push('graceBucket', 'graceNextAt');
    }
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: purchaseKey(state.purchaseId),
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: values,
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ProcessingError('purchase_busy', `lost the lease on purchase ${state.purchaseId} before saving`);
      }
      throw error;
    }
  }

  async release(purchaseId: string, owner: string): Promise<void> {
    try {
      const { Attributes } = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: purchaseKey(purchaseId),
        UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner },
        ReturnValues: 'ALL_NEW',
      }));
      // The lease was taken for an event that then failed before the purchase existed (e.g. an
      // invoice before its checkout): leave no empty row behind.
      if (Attributes && Attributes.state === undefined) {
        await this.db.send(new DeleteCommand({
          TableName: this.tableName,
          Key: purchaseKey(purchaseId),
          ConditionExpression: 'attribute_not_exists(#state) AND attribute_not_exists(leaseOwner)',
          ExpressionAttributeNames: { '#state': 'state' },
        })).catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
      }
    } catch (error) {
      // Someone else took over an expired lease: theirs now, nothing to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async appendHistory(entry: AuditEntry): Promise<void> {
    await this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        pk: `PURCHASE#${entry.purchaseId}`,
        sk: `HISTORY#${new Date(entry.atMs).toISOString()}#${entry.sourceId}`,
        entry,
      },
      // Append-only: an audit entry is never overwritten.
      ConditionExpression: 'attribute_not_exists(sk)',
    }));
  }

  async history(purchaseId: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `PURCHASE#${purchaseId}`, ':prefix': 'HISTORY#' },
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) entries.push(item.entry as AuditEntry);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }

  async linkPaymentRef(purchaseId: string, ref: string): Promise<void> {
    await this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: { pk: `PURCHASE#${purchaseId}`, sk: `PAYREF#${ref}`, paymentRef: ref },
    }));
  }

  async findPurchaseByPaymentRef(ref: string): Promise<string | null> {
    const { Items } = await this.db.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: LEDGER_INDEXES.byPaymentRef.name,
      KeyConditionExpression: 'paymentRef = :ref',
      ExpressionAttributeValues: { ':ref': ref },
      Limit: 1,
    }));
    const pk = Items?.[0]?.pk as string | undefined;
    return pk ? pk.slice('PURCHASE#'.length) : null;
  }

  async findPurchasesByCustomer(customerId: string): Promise<string[]> {
    const { Items } = await this.db.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: LEDGER_INDEXES.byCustomer.name,
      KeyConditionExpression: 'customerId = :customerId',
      ExpressionAttributeValues: { ':customerId': customerId },
    }));
    return (Items ?? []).map((item) => String(item.pk).slice('PURCHASE#'.length));
  }

  async listGraceDue(nowSeconds: number): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: LEDGER_INDEXES.byGraceDeadline.name,
        KeyConditionExpression: 'graceBucket = :bucket AND graceNextAt <= :now',
        ExpressionAttributeValues: { ':bucket': GRACE_BUCKET, ':now': nowSeconds },
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) ids.push(String(item.pk).slice('PURCHASE#'.length));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }

  async recordFailure(failure: Omit<FailureRecord, 'attempts' | 'firstAtMs' | 'lastAtMs'>, nowMs: number): Promise<void> {
    await this.db.send(new UpdateCommand({
      TableName: this.tableName,
      Key: eventKey(failure.eventId, 'FAILURE'),
      UpdateExpression: [
        'SET eventType = :eventType, purchaseId = :purchaseId, reason = :reason, retryable = :retryable, message = :message,',
        'lastAtMs = :now, firstAtMs = if_not_exists(firstAtMs, :now), attempts = if_not_exists(attempts, :zero) + :one,',
        `#ttl = :ttl`,
      ].join(' '),
      ExpressionAttributeNames: { '#ttl': LEDGER_TTL_ATTRIBUTE },
      ExpressionAttributeValues: {
        ':eventType': failure.eventType,
        ':purchaseId': failure.purchaseId,
        ':reason': failure.reason,
        ':retryable': failure.retryable,
        ':message': failure.message,
        ':now': nowMs,
        ':zero': 0,
        ':one': 1,
        ':ttl': Math.floor(nowMs / 1000) + EVENT_RECORD_TTL_SECONDS,
      },
    }));
  }

  async getFailure(eventId: string): Promise<FailureRecord | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: eventKey(eventId, 'FAILURE'), ConsistentRead: true }));
    if (!Item) return null;
    return {
      eventId,
      eventType: Item.eventType ?? null,
      purchaseId: Item.purchaseId ?? null,
      reason: Item.reason,
      retryable: Item.retryable,
      message: Item.message,
      attempts: Item.attempts,
      firstAtMs: Item.firstAtMs,
      lastAtMs: Item.lastAtMs,
    };
  }

  async clearFailure(eventId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: eventKey(eventId, 'FAILURE') }));
  }

  async recordNoop(eventId: string, eventType: string, reason: string, nowMs: number): Promise<void> {
    await this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...eventKey(eventId, 'NOOP'), eventType, reason, atMs: nowMs, [LEDGER_TTL_ATTRIBUTE]: Math.floor(nowMs / 1000) + EVENT_RECORD_TTL_SECONDS },
    }));
  }
}
