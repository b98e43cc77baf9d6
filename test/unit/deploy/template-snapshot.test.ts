/**
 * The app's template as reviewed, and the feature flags it is synthesized under. A change
 * to any construct shows up here as a diff of the CloudFormation that would deploy; after
 * reviewing it, update with `npx vitest run --project unit -u test/unit/deploy`.
 */
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Provider } from '../../../cdk/src/rotated-api-key.ts';
import { cdkJsonContext, type FakeDist, makeFakeDist, synthStack } from '../../support/cdk.ts';

let dist: FakeDist;

beforeAll(() => {
  dist = makeFakeDist();
});

afterAll(() => dist?.cleanup());

describe('the CDK app', () => {
  it('sets every feature flag aws-cdk-lib recommends, to the recommended value', () => {
    const context = cdkJsonContext();
    const differing = Object.entries(CURRENTLY_RECOMMENDED_FLAGS).filter(
      ([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value),
    );
    expect(differing).toEqual([]);
  });

  it('synthesizes the reviewed template', async () => {
    const { template } = synthStack(dist, {
      provider: Provider.OpenAI,
      alarmEmail: 'ops@example.com',
    });
    await expect(`${JSON.stringify(template.toJSON(), null, 2)}\n`).toMatchFileSnapshot(
      '__snapshots__/secret-sidecar-stack.template.json',
    );
  }, 60_000);
});
