// PLACEHOLDER, replaced by the ingest implementation (issue 2). Exists so the CDK stack can bundle it.
export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 503, body: '{"error":"not ready"}' });
