/** Prints the runtime exports of every entry point of the installed packages. */
const entries = [
  '@secret-sidecar/client',
  '@secret-sidecar/client/secrets',
  '@secret-sidecar/client/ssm',
  '@secret-sidecar/client/errors',
  '@secret-sidecar/cdk',
] as const;
const out: Record<string, string[]> = {};
for (const entry of entries) out[entry] = Object.keys(await import(entry)).sort();
process.stdout.write(`${JSON.stringify(out)}\n`);
