/**
 * Registers a rotation function in moto so RotateSecret accepts its ARN. moto cannot run our
 * function (it would need docker), so Lambda is switched to moto's no-op stub and the driver
 * invokes the real handler in-process. IAM and Lambda are called over their wire protocols
 * (the project has no IAM/Lambda SDK clients); moto does not check signatures.
 */
import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';

const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

/** Creates a role and a stub function in moto; returns the function ARN. */
export async function registerRotationFunction(endpoint: string): Promise<string> {
  const cfg = await fetch(`${endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lambda: { use_docker: false } }),
  });
  if (!cfg.ok) throw new Error(`moto config failed: ${cfg.status}`);
  const name = `rot-${randomUUID().slice(0, 8)}`;
  const role = await fetch(endpoint, {
    method: 'POST',
    headers: { authorization: auth('iam'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }).toString(),
  });
  if (!role.ok) throw new Error(`moto CreateRole failed: ${role.status} ${await role.text()}`);
  const fn = await fetch(`${endpoint}/2015-03-31/functions`, {
    method: 'POST',
    headers: { authorization: auth('lambda'), 'content-type': 'application/json' },
    body: JSON.stringify({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: `arn:aws:iam::123456789012:role/${name}`,
      Handler: 'index.handler',
      Code: { ZipFile: stubZip().toString('base64') },
    }),
  });
  const body = (await fn.json()) as { FunctionArn?: string };
  if (!fn.ok || !body.FunctionArn) throw new Error(`moto CreateFunction failed: ${fn.status}`);
  return body.FunctionArn;
}

/** A one-file zip (`index.mjs`) built by hand: the stub is never run. */
function stubZip(): Buffer {
  const name = Buffer.from('index.mjs');
  const data = Buffer.from('export const handler = async () => ({});\n');
  const packed = deflateRawSync(data);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const localSize = local.length + name.length + packed.length;
  const centralSize = central.length + name.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(localSize, 16);
  return Buffer.concat([local, name, packed, central, name, end]);
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
