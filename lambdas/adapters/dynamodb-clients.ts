/**
 * DynamoDB clients. Region and credentials come from the standard AWS environment; local runs and
 * tests redirect the endpoint with the SDK's own AWS_ENDPOINT_URL_DYNAMODB variable.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

export function createDocumentClient(client: DynamoDBClient = createDynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
