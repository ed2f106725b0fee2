/**
 * Builds API Gateway REST (payload v1) proxy events the way API Gateway delivers them to the ingest
 * Lambda: both header maps filled, the caller's IP in requestContext.identity, a request id.
 * Used by the ingest tests and by the local pipeline's HTTP server.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export const WEBHOOK_PATH = '/webhooks/stripe';

export interface ApiGatewayEventInput {
  method?: string;
  /** As API Gateway passes it: text, or base64 text when `isBase64Encoded`. */
  body?: string | null;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  sourceIp?: string;
  path?: string;
  requestId?: string;
  /** API Gateway stage name. */
  stage?: string;
  /** Request time, Unix ms. */
  requestTimeEpochMs?: number;
}

export function buildApiGatewayEvent(input: ApiGatewayEventInput = {}): APIGatewayProxyEvent {
  const method = input.method ?? 'POST';
  const path = input.path ?? WEBHOOK_PATH;
  const headers = input.headers ?? {};
  const stage = input.stage ?? 'local';
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  return {
    body: input.body === undefined ? null : input.body,
    headers,
    multiValueHeaders,
    httpMethod: method,
    isBase64Encoded: input.isBase64Encoded ?? false,
    path,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: path,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${path}`,
      stage,
      requestId: input.requestId ?? randomUUID(),
      requestTimeEpoch: input.requestTimeEpochMs ?? Date.now(),
      resourceId: 'local',
      resourcePath: path,
    },
  };
}

/** A Stripe webhook delivery as API Gateway hands it over: POST with the Stripe-Signature header. */
export function buildStripeWebhookEvent(input: {
  payload: string;
  signature?: string;
  base64?: boolean;
  sourceIp?: string;
  extraHeaders?: Record<string, string>;
}): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    ...(input.signature === undefined ? {} : { 'Stripe-Signature': input.signature }),
    ...input.extraHeaders,
  };
  return buildApiGatewayEvent({
    method: 'POST',
    headers,
    body: input.base64 ? Buffer.from(input.payload, 'utf8').toString('base64') : input.payload,
    isBase64Encoded: input.base64 ?? false,
    sourceIp: input.sourceIp,
  });
}
