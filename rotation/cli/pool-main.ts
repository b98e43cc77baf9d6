/** Entry point of `secret-sidecar-pool` (bundled to dist/pool-cli/index.mjs); only wires. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runPoolCli } from './pool.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const client = new SecretsManagerClient({});
process.exitCode = await runPoolCli(process.argv.slice(2), {
  client,
  readStdin,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(line),
});
client.destroy();
