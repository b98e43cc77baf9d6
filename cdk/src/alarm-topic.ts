/** The SNS topic every alarm and rotation-failure event notifies. */
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';

/** Props of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** E-mail address subscribed to the topic. @default no subscription */
  readonly email?: string;
  /** @default RemovalPolicy.RETAIN for the topic's key */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * An SNS topic encrypted with its own customer-managed key (rotation on),
 * publishable over TLS only, that CloudWatch alarms of this account may
 * publish to. EventBridge rules publish with a role (`authorizeUsingRole`).
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  /** The topic's key. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    if (props.email !== undefined && !EMAIL.test(props.email)) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `alarm e-mail must be an address like ops@example.com, got "${props.email}"`,
      );
    }
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the secret-sidecar alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets them
    // create data keys; limited to this account's alarms. (EventBridge rules
    // publish with a role that gets its own grant.)
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'secret-sidecar alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic policy CDK writes (for enforceSSL) replaces SNS's default, so
    // CloudWatch alarms of this account are allowed explicitly.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
  }
}
