/**
 * The authenticated inference gateway: an HTTP API whose routes need a
 * Cognito client-credentials JWT carrying the `invoke` scope, throttled per
 * route, in front of the inference function with the sidecar attached.
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { InferenceEnv } from '../../inference/config.ts';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { PackagedAsset, packagedAssetPath } from './assets.ts';
import type { SidecarOptions } from './attach-secret-sidecar.ts';
import { createFunctionLogGroup } from './function-defaults.ts';
import { SidecarFunction } from './sidecar-function.ts';

export { InferenceEnv } from '../../inference/config.ts';

/** Cognito resource server identifier; scopes are `secret-sidecar/<name>`. */
export const RESOURCE_SERVER_ID = 'secret-sidecar';

/** The scope a client needs to call the API. */
export const INVOKE_SCOPE_NAME = 'invoke';

/** `secret-sidecar/invoke`. */
export const INVOKE_SCOPE = `${RESOURCE_SERVER_ID}/${INVOKE_SCOPE_NAME}`;

/** The sidecar alias under which the inference function finds its provider key. */
export const PROVIDER_SECRET_ALIAS = 'provider';

/** One route of the API and its throttle. */
export interface InferenceRoute {
  /** e.g. `/v1/chat`. */
  readonly path: string;
  /** @default HttpMethod.POST */
  readonly method?: apigwv2.HttpMethod;
  /** Steady-state requests per second. @default 10 */
  readonly rateLimit?: number;
  /** Burst bucket size. @default 20 */
  readonly burstLimit?: number;
}

/** The default route: `POST /v1/chat`, 10 rps, burst 20. */
export const DEFAULT_INFERENCE_ROUTES: readonly InferenceRoute[] = [
  { path: '/v1/chat', method: apigwv2.HttpMethod.POST, rateLimit: 10, burstLimit: 20 },
];

/** Props of {@link InferenceApi}. */
export interface InferenceApiProps {
  /** The provider API key secret (e.g. `RotatedApiKey.secret`), served under alias `provider`. */
  readonly providerSecret: secretsmanager.ISecret;
  /**
   * The extension layer.
   * @default the stack's shared `node`-flavour {@link SecretSidecarLayer}
   */
  readonly layer?: lambda.ILayerVersion;
  /** Routes and their throttles. @default {@link DEFAULT_INFERENCE_ROUTES} */
  readonly routes?: readonly InferenceRoute[];
  /** Throttle of the stage for anything not listed. @default 10 rps, burst 20 */
  readonly defaultThrottle?: apigwv2.ThrottleSettings;
  /**
   * Hosted UI / token endpoint domain prefix (`<prefix>.auth.<region>.amazoncognito.com`).
   * @default `secret-sidecar-<account id>`
   */
  readonly cognitoDomainPrefix?: string;
  /** Access token lifetime of the machine client. @default Duration.hours(1) */
  readonly accessTokenValidity?: Duration;
  /** Inference function code. @default the inference bundle this package carries */
  readonly code?: lambda.Code;
  /** `INFERENCE_ALLOWED_MODELS`. @default the function's default */
  readonly allowedModels?: readonly string[];
  /** `INFERENCE_DEFAULT_MODEL`. @default the function's default */
  readonly defaultModel?: string;
  /** `INFERENCE_PROVIDER_TIMEOUT_MS` as a duration. @default Duration.seconds(25) */
  readonly providerTimeout?: Duration;
  /** Function timeout; must exceed the provider timeout. @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Also deploy the streaming variant (the streaming bundle this package carries) behind a
   * Function URL with `AWS_IAM` auth and `RESPONSE_STREAM`.
   * @default true
   */
  readonly streaming?: boolean;
  /** Streaming function code. @default the streaming bundle this package carries */
  readonly streamCode?: lambda.Code;
  /** Streaming function timeout. @default Duration.seconds(90) */
  readonly streamTimeout?: Duration;
  /** Streaming `INFERENCE_PROVIDER_TIMEOUT_MS`. @default Duration.seconds(80) */
  readonly streamProviderTimeout?: Duration;
  /** Principals granted `lambda:InvokeFunctionUrl` on the streaming URL. @default none */
  readonly streamInvokers?: readonly iam.IGrantable[];
  /** `INFERENCE_LOG_CONTENT`: log prompts and completions. @default false */
  readonly logContent?: boolean;
  /** `INFERENCE_LOG_LEVEL`. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra sidecar settings (TTL, max stale...). @default the extension's defaults */
  readonly sidecar?: Omit<SidecarOptions, 'layer' | 'secrets'>;
  /** Retention of the function and access log groups. @default RetentionDays.SIX_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of the user pool. @default RemovalPolicy.RETAIN */
  readonly userPoolRemovalPolicy?: RemovalPolicy;
}

/** HTTP API + Cognito M2M auth + the inference function. */
export class InferenceApi extends Construct {
  /** The HTTP API. */
  readonly api: apigwv2.HttpApi;
  /** The `$default` stage (throttled, access-logged). */
  readonly stage: apigwv2.HttpStage;
  /** The user pool issuing client-credentials tokens. */
  readonly userPool: cognito.UserPool;
  /** The resource server defining `secret-sidecar/invoke`. */
  readonly resourceServer: cognito.UserPoolResourceServer;
  /** The machine-to-machine app client (client credentials, `invoke` scope). */
  readonly client: cognito.UserPoolClient;
  /** The token endpoint's domain. */
  readonly domain: cognito.UserPoolDomain;
  /** The inference function. */
  readonly function: lambda.Function;
  /** The streaming inference function, unless `streaming` is false. */
  readonly streamFunction?: lambda.Function;
  /** Its Function URL (`AWS_IAM`, `RESPONSE_STREAM`). */
  readonly streamUrl?: lambda.FunctionUrl;
  /** The access log group. */
  readonly accessLogGroup: logs.LogGroup;
  /** The routes created, in order. */
  readonly routes: readonly apigwv2.HttpRoute[];

  constructor(scope: Construct, id: string, props: InferenceApiProps) {
    super(scope, id);
    const routes = props.routes ?? DEFAULT_INFERENCE_ROUTES;
    validate(this, props, routes);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      accountRecovery: cognito.AccountRecovery.NONE,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: props.userPoolRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The pool only issues client-credentials tokens to machine clients: nobody signs in with a ' +
        'password, so threat protection (Plus tier) has nothing to watch. Self sign-up is off.',
    });
    const invoke = new cognito.ResourceServerScope({
      scopeName: INVOKE_SCOPE_NAME,
      scopeDescription: 'Call the secret-sidecar inference API',
    });
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: 'secret-sidecar inference API',
      scopes: [invoke],
    });
    this.client = this.userPool.addClient('MachineClient', {
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [cognito.OAuthScope.resourceServer(this.resourceServer, invoke)],
      },
      accessTokenValidity: props.accessTokenValidity ?? Duration.hours(1),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: {
        domainPrefix: props.cognitoDomainPrefix ?? `secret-sidecar-${Aws.ACCOUNT_ID}`,
      },
    });

    const providerTimeout = props.providerTimeout ?? Duration.seconds(25);
    const streamProviderTimeout = props.streamProviderTimeout ?? Duration.seconds(80);
    const environment = (providerTimeoutMs: number): Record<string, string> => ({
      [InferenceEnv.SecretAlias]: PROVIDER_SECRET_ALIAS,
      [InferenceEnv.RequiredScope]: INVOKE_SCOPE,
      [InferenceEnv.ProviderTimeoutMs]: String(providerTimeoutMs),
      [InferenceEnv.LogContent]: String(props.logContent ?? false),
      [InferenceEnv.LogLevel]: props.logLevel ?? 'info',
      ...(props.allowedModels === undefined
        ? {}
        : { [InferenceEnv.AllowedModels]: props.allowedModels.join(',') }),
      ...(props.defaultModel === undefined
        ? {}
        : { [InferenceEnv.DefaultModel]: props.defaultModel }),
    });
    const sidecar = {
      ...props.sidecar,
      layer: props.layer,
      secrets: [{ alias: PROVIDER_SECRET_ALIAS, secret: props.providerSecret }],
    };
    this.function = new SidecarFunction(this, 'Function', {
      description: 'secret-sidecar inference gateway',
      code: props.code ?? lambda.Code.fromAsset(packagedAssetPath(PackagedAsset.Inference)),
      handler: 'index.handler',
      timeout: props.timeout ?? Duration.seconds(29),
      memorySize: props.memorySize ?? 512,
      logGroupRetention: props.logRetention,
      environment: environment(providerTimeout.toMilliseconds()),
      sidecar,
    }).function;

    if (props.streaming ?? true) {
      this.streamFunction = new SidecarFunction(this, 'StreamFunction', {
        description: 'secret-sidecar inference gateway, streaming (Function URL, AWS_IAM)',
        code:
          props.streamCode ??
          lambda.Code.fromAsset(packagedAssetPath(PackagedAsset.InferenceStream)),
        handler: 'index.handler',
        timeout: props.streamTimeout ?? Duration.seconds(90),
        memorySize: props.memorySize ?? 512,
        logGroupRetention: props.logRetention,
        environment: environment(streamProviderTimeout.toMilliseconds()),
        sidecar,
      }).function;
      // AWS_IAM: a caller needs lambda:InvokeFunctionUrl on this function, which
      // takes the place of the JWT scope (see inference/stream-handler.ts).
      this.streamUrl = this.streamFunction.addFunctionUrl({
        authType: lambda.FunctionUrlAuthType.AWS_IAM,
        invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
      });
      for (const invoker of props.streamInvokers ?? []) {
        this.streamFunction.grantInvokeUrl(invoker);
      }
    }

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'secret-sidecar inference API (JWT, client credentials)',
      createDefaultStage: false,
    });
    this.accessLogGroup = createFunctionLogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
    });
    const defaultThrottle = props.defaultThrottle ?? { rateLimit: 10, burstLimit: 20 };
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: defaultThrottle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const authorizer = new HttpJwtAuthorizer(
      'CognitoJwt',
      `https://cognito-idp.${Aws.REGION}.amazonaws.com/${this.userPool.userPoolId}`,
      // Client-credentials access tokens carry no `aud`; API Gateway then
      // checks `client_id` against this list.
      { jwtAudience: [this.client.userPoolClientId] },
    );
    const integration = new HttpLambdaIntegration('Inference', this.function);
    const created: apigwv2.HttpRoute[] = [];
    const routeSettings: Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
    > = {};
    for (const route of routes) {
      const method = route.method ?? apigwv2.HttpMethod.POST;
      created.push(
        ...this.api.addRoutes({
          path: route.path,
          methods: [method],
          integration,
          authorizer,
          authorizationScopes: [INVOKE_SCOPE],
        }),
      );
      routeSettings[`${method} ${route.path}`] = {
        ThrottlingRateLimit: route.rateLimit ?? 10,
        ThrottlingBurstLimit: route.burstLimit ?? 20,
      };
    }
    this.routes = created;
    // Escape hatch: the L2 stage throttles only the whole stage, not single routes.
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.addPropertyOverride('RouteSettings', routeSettings);
  }

  /** The token endpoint clients post client credentials to. */
  get tokenUrl(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }
}

/** Access log line: who called what, how it went; never a header or body. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  routeKey: '$context.routeKey',
  status: '$context.status',
  clientId: '$context.authorizer.claims.client_id',
  authorizerError: '$context.authorizer.error',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
};

const PATH = /^\/[A-Za-z0-9._~\-/{}+]*$/;

function validate(scope: Construct, props: InferenceApiProps, routes: readonly InferenceRoute[]) {
  const problems: string[] = [];
  if (routes.length === 0) problems.push('routes must list at least one route');
  for (const r of routes) {
    if (!PATH.test(r.path)) problems.push(`route path "${r.path}" must start with / (URL path)`);
    for (const [name, v] of [
      ['rateLimit', r.rateLimit],
      ['burstLimit', r.burstLimit],
    ] as const) {
      if (v !== undefined && (!Number.isFinite(v) || v <= 0)) {
        problems.push(`route ${r.path} ${name} must be > 0, got ${v}`);
      }
    }
  }
  const providerMs = (props.providerTimeout ?? Duration.seconds(25)).toMilliseconds();
  const fnMs = (props.timeout ?? Duration.seconds(29)).toMilliseconds();
  if (providerMs >= fnMs) {
    problems.push(`providerTimeout (${providerMs} ms) must be shorter than timeout (${fnMs} ms)`);
  }
  const streamProviderMs = (props.streamProviderTimeout ?? Duration.seconds(80)).toMilliseconds();
  const streamMs = (props.streamTimeout ?? Duration.seconds(90)).toMilliseconds();
  if ((props.streaming ?? true) && streamProviderMs >= streamMs) {
    problems.push(
      `streamProviderTimeout (${streamProviderMs} ms) must be shorter than streamTimeout (${streamMs} ms)`,
    );
  }
  const prefix = props.cognitoDomainPrefix;
  if (prefix !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix)) {
    problems.push(`cognitoDomainPrefix must be lowercase letters, digits and -, got "${prefix}"`);
  }
  if (problems.length > 0) {
    throw new SidecarError(ErrorCode.ConfigInvalid, `${scope.node.path}: ${problems.join('; ')}`);
  }
}
