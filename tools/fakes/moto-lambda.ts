/**
 * Registers a rotation function in moto so RotateSecret accepts its ARN.
 *
 * moto cannot run our function (that would need Docker), so its Lambda backend is
 * switched to the no-op mode and callers invoke the real handler themselves
 * (see fakes/rotation-driver.ts). The function's code is never run, so an empty
 * zip archive is enough.
 */
import { randomUUID } from 'node:crypto';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** A zip archive with no entries: just the end-of-central-directory record. */
const EMPTY_ZIP = Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);

const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

/** Creates a role and a never-run function in moto; returns the function ARN. */
export async function registerRotationFunction(endpoint: string): Promise<string> {
  const cfg = await fetch(`${endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lambda: { use_docker: false } }),
  });
  if (!cfg.ok) throw new Error(`moto config failed: HTTP ${cfg.status}`);
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const name = `rotation-${randomUUID().slice(0, 8)}`;
  const role = await new IAMClient(clientConfig).send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }),
  );
  const fn = await new LambdaClient(clientConfig).send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: role.Role?.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: EMPTY_ZIP },
    }),
  );
  if (!fn.FunctionArn) throw new Error('moto CreateFunction returned no FunctionArn');
  return fn.FunctionArn;
}
