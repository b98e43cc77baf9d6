/** `@secret-sidecar/client/errors`: the same names as `@aws-lambda-powertools/parameters/errors`. */
export { GetParameterError, TransformParameterError } from './errors.ts';
