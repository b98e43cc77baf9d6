/**
 * The Parameter Store port and its AWS SDK v3 adapter.
 *
 * Endpoints come from the SDK's standard variables (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_SSM`); every call is bounded by one deadline and every
 * failure is mapped once by {@link toSidecarError}.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { toSidecarError } from '../shared/aws-errors.ts';
import { type AwsSourceOptions, awsClientConfig } from './aws-client-options.ts';

/** What to fetch: one parameter, optionally a version or label of it. */
export interface ParameterRequest {
  readonly name: string;
  readonly withDecryption: boolean;
  /** Exclusive with `label`. */
  readonly version?: number | undefined;
  readonly label?: string | undefined;
}

/** A fetched parameter, in GetParameter's terms. */
export interface ParameterValue {
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly version: number;
  readonly arn: string;
  /** Epoch ms. */
  readonly lastModifiedDate: number | undefined;
  readonly dataType: string;
  readonly selector: string | undefined;
}

/** Port: where parameter values come from. */
export interface ParameterSource {
  /** GetParameter. */
  get(request: ParameterRequest): Promise<ParameterValue>;
}

/** Options for {@link SsmParameterSource}. */
export type SsmParameterSourceOptions = AwsSourceOptions;

/** The name GetParameter takes: `name`, `name:version` or `name:label`. */
export function parameterSelectorName(request: ParameterRequest): string {
  if (request.version !== undefined) return `${request.name}:${request.version}`;
  if (request.label !== undefined) return `${request.name}:${request.label}`;
  return request.name;
}

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
