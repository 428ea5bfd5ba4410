/**
 * The CDK app: `npx cdk deploy` in infra/ (see README). Context: modelPackageGroup, deviceCount,
 * canaryCount, notificationEmail, inferenceComponentVersion, instanceType.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../lib/app.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';

const app = new App({ context: { ...FEATURE_FLAGS } });
buildApp(app);
if (app.node.tryGetContext('nag') !== 'false') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
