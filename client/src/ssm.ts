/** `@secret-sidecar/client/ssm`: the same names as `@aws-lambda-powertools/parameters/ssm`. */
export {
  getParameter,
  getParameters,
  getParametersByName,
  type SSMGetMultipleOptions,
  type SSMGetOptions,
  type SSMGetOutput,
  type SSMGetParametersByNameOptions,
  type SSMGetParametersByNameOutput,
} from './parameters.ts';
