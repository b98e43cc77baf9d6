/**
 * The Parameter Store adapter of {@link ParameterSource}, on the AWS SDK v3 client. Its own
 * module (and bundle chunk), so the SSM client loads only when a parameter is first read.
 *
 * Endpoints come from the SDK's standard variables (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_SSM`); every call is bounded by one deadline and every
 * failure is mapped once by {@link toSidecarError}.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { toSidecarError } from '../shared/aws-errors.ts';
import { type AwsSourceOptions, awsClientConfig } from './aws-client-options.ts';
import {
  type ParameterRequest,
  type ParameterSource,
  type ParameterValue,
  parameterSelectorName,
} from './parameter-source.ts';

/** Options for {@link SsmParameterSource}. */
export type SsmParameterSourceOptions = AwsSourceOptions;

/** {@link ParameterSource} backed by AWS Systems Manager Parameter Store. */
export class SsmParameterSource implements ParameterSource {
  readonly #client: SSMClient;
  readonly #timeoutMs: number;

  constructor(options: SsmParameterSourceOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#client = new SSMClient(awsClientConfig(options));
  }

  async get(request: ParameterRequest): Promise<ParameterValue> {
    try {
      const out = await this.#client.send(
        new GetParameterCommand({
          Name: parameterSelectorName(request),
          WithDecryption: request.withDecryption,
        }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      const p = out.Parameter;
      if (!p?.Name || p.Value === undefined || p.Version === undefined) {
        throw new TypeError('GetParameter answered without Name, Value or Version');
      }
      return {
        name: p.Name,
        type: p.Type ?? 'String',
        value: p.Value,
        version: p.Version,
        arn: p.ARN ?? '',
        lastModifiedDate: p.LastModifiedDate?.getTime(),
        dataType: p.DataType ?? 'text',
        selector: p.Selector,
      };
    } catch (err) {
      throw toSidecarError(err, {
        service: 'Parameter Store',
        operation: 'GetParameter',
        subject: request.name,
      });
    }
  }

  /** Releases sockets. */
  close(): void {
    this.#client.destroy();
  }
}
