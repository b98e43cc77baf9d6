/** `@secret-sidecar/client/secrets`: the same names as `@aws-lambda-powertools/parameters/secrets`. */
export { getSecret, type SecretsGetOptions, type SecretsGetOutput } from './parameters.ts';
