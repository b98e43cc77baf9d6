/** The whole system in one stack, composed from the constructs. */

import {
  AlarmTopic,
  InferenceApi,
  Observability,
  type Provider,
  RotatedApiKey,
  SecretSidecarLayer,
} from '@secret-sidecar/cdk';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Props of {@link SecretSidecarStack}. */
export interface SecretSidecarStackProps extends StackProps {
  /** The provider whose key is rotated and used for inference. */
  readonly provider: Provider;
  /** `baseURL` stored in the secret (needed for `random`). @default the provider's public URL */
  readonly providerBaseUrl?: string;
  /** @default Duration.days(30) unless `rotationCron` is set */
  readonly rotateAfter?: Duration;
  /** Secrets Manager cron expression. @default none (rate schedule) */
  readonly rotationCron?: string;
  /** @default Duration.hours(4) */
  readonly rotationWindow?: Duration;
  /** @default RetentionDays.SIX_MONTHS (180 days) */
  readonly logRetention?: logs.RetentionDays;
  /** E-mail subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
  /** @default `secret-sidecar-<account>` */
  readonly cognitoDomainPrefix?: string;
  /** @default the inference function's default */
  readonly allowedModels?: readonly string[];
  /** @default the inference function's default */
  readonly defaultModel?: string;
  /**
   * Build output to deploy, for tests that synthesize without `make build`.
   * @default the `dist/` assets
   */
  readonly assets?: {
    readonly layer: string;
    readonly rotation: lambda.Code;
    readonly inference: lambda.Code;
    readonly inferenceStream: lambda.Code;
  };
}

/**
 * Layer + rotated provider key + inference API + alarms, dashboard and
 * queries, with secure defaults.
 */
export class SecretSidecarStack extends Stack {
  readonly alarmTopic: AlarmTopic;
  readonly layer: SecretSidecarLayer;
  readonly apiKey: RotatedApiKey;
  readonly inference: InferenceApi;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: SecretSidecarStackProps) {
    super(scope, id, props);
    this.alarmTopic = new AlarmTopic(this, 'Alarms', { email: props.alarmEmail });
    this.layer = new SecretSidecarLayer(this, 'Layer', { assetPath: props.assets?.layer });
    this.apiKey = new RotatedApiKey(this, 'ApiKey', {
      provider: props.provider,
      baseURL: props.providerBaseUrl,
      alarmTopic: this.alarmTopic.topic,
      rotateAfter: props.rotationCron === undefined ? props.rotateAfter : undefined,
      rotationCron: props.rotationCron,
      rotationWindow: props.rotationWindow ?? Duration.hours(4),
      logRetention: props.logRetention,
      code: props.assets?.rotation,
    });
    this.inference = new InferenceApi(this, 'Inference', {
      providerSecret: this.apiKey.secret,
      layer: this.layer,
      code: props.assets?.inference,
      streamCode: props.assets?.inferenceStream,
      logRetention: props.logRetention,
      cognitoDomainPrefix: props.cognitoDomainPrefix,
      allowedModels: props.allowedModels,
      defaultModel: props.defaultModel,
    });
    this.observability = new Observability(this, 'Observability', {
      alarmTopic: this.alarmTopic.topic,
      sidecarFunctions: [
        this.inference.function,
        ...(this.inference.streamFunction ? [this.inference.streamFunction] : []),
      ],
      inference: { api: this.inference.api, function: this.inference.function },
      rotatedKeys: [this.apiKey],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.inference.api.apiEndpoint });
    if (this.inference.streamUrl) {
      new CfnOutput(this, 'StreamUrl', { value: this.inference.streamUrl.url });
    }
    new CfnOutput(this, 'TokenUrl', { value: this.inference.tokenUrl });
    new CfnOutput(this, 'ClientId', { value: this.inference.client.userPoolClientId });
    new CfnOutput(this, 'ApiKeySecretArn', { value: this.apiKey.secret.secretArn });
    if (this.apiKey.adminSecret) {
      new CfnOutput(this, 'AdminCredentialSecretArn', {
        value: this.apiKey.adminSecret.secretArn,
      });
    }
    if (this.apiKey.keyPoolSecret) {
      new CfnOutput(this, 'KeyPoolSecretArn', { value: this.apiKey.keyPoolSecret.secretArn });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topic.topicArn });
    new CfnOutput(this, 'LayerVersionArn', { value: this.layer.layerVersionArn });
  }
}
