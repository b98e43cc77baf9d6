import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { APP_DEFAULTS, loadAppConfig } from '../../../deploy/config.ts';
import { ConfigError } from '../../../shared/errors.ts';

const none = () => undefined;

function fromContext(ctx: Record<string, unknown>) {
  return (key: string) => ctx[key];
}

describe('loadAppConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadAppConfig(none, {});
    expect(config).toMatchObject({
      stackName: APP_DEFAULTS.stackName,
      provider: 'openai',
      rotationCron: undefined,
      logRetention: 180,
      alarmEmail: undefined,
    });
    expect(config.rotateAfter?.toDays()).toBe(30);
    expect(config.rotationWindow.toHours()).toBe(4);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['provider', { provider: 'anthropic' }, { provider: 'anthropic' }],
    ['provider, any case', { provider: 'Google' }, { provider: 'google' }],
    [
      'cron schedule',
      { rotationSchedule: 'cron(0 4 ? * MON *)' },
      { rotationCron: 'cron(0 4 ? * MON *)', rotateAfter: undefined },
    ],
    ['window', { rotationWindowHours: 2 }, { rotationWindow: Duration.hours(2) }],
    ['retention', { logRetentionDays: '365' }, { logRetention: 365 }],
    ['alarm e-mail', { alarmEmail: 'ops@example.com' }, { alarmEmail: 'ops@example.com' }],
    [
      'provider base URL',
      { providerBaseUrl: 'https://keys.example.com/check/' },
      { providerBaseUrl: 'https://keys.example.com/check' },
    ],
    ['stack name', { stackName: 'Sidecar-Prod' }, { stackName: 'Sidecar-Prod' }],
    [
      'models',
      { allowedModels: 'gpt-a, gpt-b', defaultModel: 'gpt-b' },
      { allowedModels: ['gpt-a', 'gpt-b'], defaultModel: 'gpt-b' },
    ],
  ])('reads %s from context', (_name, ctx, expected) => {
    const config = loadAppConfig(fromContext(ctx), {});
    for (const [k, v] of Object.entries(expected)) {
      const actual = (config as unknown as Record<string, unknown>)[k];
      if (v instanceof Duration) expect((actual as Duration).toSeconds()).toBe(v.toSeconds());
      else expect(actual).toEqual(v);
    }
  });

  it('reads rate schedules in hours and days', () => {
    expect(
      loadAppConfig(fromContext({ rotationSchedule: 'rate(12 hours)' }), {}).rotateAfter?.toHours(),
    ).toBe(12);
    expect(
      loadAppConfig(fromContext({ rotationSchedule: 'rate(1 day)' }), {}).rotateAfter?.toDays(),
    ).toBe(1);
  });

  it('reads the environment when the context is unset', () => {
    const config = loadAppConfig(none, {
      SECRET_SIDECAR_DEPLOY_PROVIDER: 'random',
      SECRET_SIDECAR_DEPLOY_LOG_RETENTION_DAYS: '30',
    });
    expect(config.provider).toBe('random');
    expect(config.logRetention).toBe(30);
  });

  it('lets the context win over the environment', () => {
    const config = loadAppConfig(fromContext({ provider: 'google' }), {
      SECRET_SIDECAR_DEPLOY_PROVIDER: 'random',
    });
    expect(config.provider).toBe('google');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'an unknown provider',
      { provider: 'cohere' },
      /provider \(context\) \/ SECRET_SIDECAR_DEPLOY_PROVIDER must be one of openai, google, anthropic, random/,
    ],
    [
      'a malformed schedule',
      { rotationSchedule: 'every week' },
      /rotationSchedule .* must be "rate\(N days\)"/,
    ],
    [
      'a rate under 4 hours',
      { rotationSchedule: 'rate(2 hours)' },
      /must be from rate\(4 hours\) to rate\(1000 days\)/,
    ],
    [
      'a window over a day',
      { rotationWindowHours: 25 },
      /rotationWindowHours .* must be an integer from 1 to 24/,
    ],
    [
      'a retention CloudWatch does not offer',
      { logRetentionDays: 100 },
      /logRetentionDays .* must be one of 1, 3, 5, 7/,
    ],
    [
      'a base URL that is not http(s)',
      { providerBaseUrl: 'ftp://x' },
      /providerBaseUrl .* must be an http:\/\/ or https:\/\/ URL/,
    ],
    ['a bad e-mail', { alarmEmail: 'ops' }, /alarmEmail .* must be an e-mail address/],
    [
      'a bad Cognito domain prefix',
      { cognitoDomainPrefix: 'Has_Caps' },
      /cognitoDomainPrefix .* must be lowercase letters/,
    ],
    [
      'a default model outside the allowed list',
      { allowedModels: 'a,b', defaultModel: 'c' },
      /defaultModel .* must be one of the allowed models a, b/,
    ],
  ])('rejects %s, naming the setting and what is allowed', (_name, ctx, message) => {
    expect(() => loadAppConfig(fromContext(ctx), {})).toThrow(message);
  });

  it('reports every bad setting at once', () => {
    try {
      loadAppConfig(fromContext({ provider: 'x', rotationWindowHours: 0, alarmEmail: 'y' }), {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.variable)).toEqual([
        'provider (context) / SECRET_SIDECAR_DEPLOY_PROVIDER',
        'rotationWindowHours (context) / SECRET_SIDECAR_DEPLOY_ROTATION_WINDOW_HOURS',
        'alarmEmail (context) / SECRET_SIDECAR_DEPLOY_ALARM_EMAIL',
      ]);
    }
  });
});
