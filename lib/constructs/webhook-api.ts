/**
 * The public webhook endpoint: a REST API with one method, `POST /webhooks/stripe`, proxied to the
 * ingest Lambda. Every other method on that path gets API Gateway's own answer (403
 * MissingAuthenticationToken) without invoking anything.
 *
 * There is deliberately no authorizer: Stripe cannot sign requests with IAM or present Cognito
 * tokens. The authentication is the `Stripe-Signature` HMAC over the raw body, which only the
 * ingest function can check (it needs the body byte for byte and the signing secret).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const WEBHOOK_PATH = ['webhooks', 'stripe'] as const;

export interface WebhookApiProps {
  readonly namePrefix: string;
  /** API Gateway stage name (appears in the URL). */
  readonly stageName: string;
  readonly ingestFunction: lambda.IFunction;
  /** Stage-wide steady-state requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetentionDays: number;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class WebhookApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly webhookMethod: apigateway.Method;
  readonly accessLogGroup: logs.LogGroup;
  /** The full URL to register in the Stripe dashboard. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${props.namePrefix}-webhooks`,
      description: 'Receives Stripe billing webhooks and hands them to the ingest Lambda',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // API Gateway can only write logs with an account-level role; CDK creates it (kept on delete,
      // because other APIs in the account may rely on it).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // Errors only, and never the bodies: they carry customer e-mail addresses and signatures.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          user: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
        }),
      },
    });

    const resource = WEBHOOK_PATH.reduce<apigateway.IResource>((parent, part) => parent.addResource(part), this.api.root);
    this.webhookMethod = resource.addMethod('POST', new apigateway.LambdaIntegration(props.ingestFunction, {
      proxy: true,
      // The console's "Test" button cannot produce a valid Stripe signature; no need to allow it.
      allowTestInvoke: false,
    }));
    this.webhookUrl = this.api.urlForPath(`/${WEBHOOK_PATH.join('/')}`);

    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    const stripeAuth = 'Stripe cannot authenticate with IAM (SigV4) or Cognito tokens; each request is authenticated by the Stripe-Signature HMAC '
      + '(SHA-256 over timestamp and raw body, 300 s tolerance), verified by the ingest Lambda with the stripe library before anything is enqueued.';
    Validations.of(this.webhookMethod).acknowledge({ id: 'AwsSolutions-APIG4', reason: stripeAuth });
    Validations.of(this.webhookMethod).acknowledge({ id: 'AwsSolutions-COG4', reason: stripeAuth });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason: 'Request validation is done by the ingest Lambda, which must see every request to verify the signature over the raw body and to count '
        + 'rejections (bad signature 400, oversize 413, malformed JSON 400) in CloudWatch metrics; an API Gateway validator would reject some silently.',
    });
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'No WAF web ACL: the only method rejects unsigned requests in the ingest Lambda (a cheap HMAC check before any downstream call) and the '
        + "stage is throttled. An allow-list of Stripe's published webhook IPs would need upkeep whenever Stripe changes them and adds little over the "
        + 'signature; a web ACL can be associated with the stage later without code changes.',
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level role API Gateway uses to write execution and access logs. AmazonAPIGatewayPushToCloudWatchLogs is the AWS-managed '
          + 'policy AWS documents for exactly this role; it is assumable only by apigateway.amazonaws.com.',
      });
    }
  }
}
