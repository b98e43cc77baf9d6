/**
 * The Parameter Store port: what the store asks for and gets back. The AWS SDK adapter is
 * `ssm-parameter-source.ts`, loaded only when a parameter is first read (a configuration
 * without parameters never loads the SSM client).
 */

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

/** The name GetParameter takes: `name`, `name:version` or `name:label`. */
export function parameterSelectorName(request: ParameterRequest): string {
  if (request.version !== undefined) return `${request.name}:${request.version}`;
  if (request.label !== undefined) return `${request.name}:${request.label}`;
  return request.name;
}
