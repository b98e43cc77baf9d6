/** cdk-nag v3 wiring: AwsSolutions checks as a policy-validation plugin. */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs cdk-nag's AwsSolutions pack on every synth of `app`. cdk-nag v3 is a
 * validation plugin (the v2 `Aspects` form crashes), so it must be added
 * before the first synth; an unacknowledged finding fails the synth.
 */
export function applyAwsSolutionsChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
