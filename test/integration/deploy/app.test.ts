import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SOURCE_CONDITION } from '../../../scripts/build.ts';

describe('deploy/app.ts', () => {
  it('stops on bad settings with one message naming each and what is allowed, and no stack trace', () => {
    const app = join(ROOT, 'deploy', 'app.ts');
    const args = [`--conditions=${SOURCE_CONDITION}`, '--import', 'tsx', app];
    const run = spawnSync(process.execPath, args, {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SECRET_SIDECAR_DEPLOY_PROVIDER: 'cohere',
        SECRET_SIDECAR_DEPLOY_ROTATION_WINDOW_HOURS: '48',
      },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'provider (context) / SECRET_SIDECAR_DEPLOY_PROVIDER must be one of openai, google, anthropic, random, got "cohere"',
    );
    expect(run.stderr).toContain(
      'rotationWindowHours (context) / SECRET_SIDECAR_DEPLOY_ROTATION_WINDOW_HOURS must be an integer from 1 to 24, got "48"',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
