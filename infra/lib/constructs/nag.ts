/**
 * Acknowledging cdk-nag findings, always with a reason. A wildcard-resource finding is named by the
 * resource as cdk-nag flattens it (`Resource::arn:<AWS::Partition>:s3:::<Bucket.Arn>/models/*`), so the
 * acknowledgement is computed from the very value the policy uses, never retyped.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** cdk-nag's flattening of a CloudFormation value (Fn::Join, Fn::Sub, GetAtt, Ref, ImportValue). */
export function flattenCfnValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnValue).join(sep);
    }
    if (o['Fn::Sub'] !== undefined) return flattenCfnValue(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [res, attr] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(res)}.${flattenCfnValue(attr)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return flattenCfnValue(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flattenCfnValue(o.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The AwsSolutions-IAM5 finding id of a wildcard resource (as used in a policy in `scope`'s stack). */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnValue(Stack.of(scope).resolve(resource))}]`;
}

/** Acknowledge findings on a construct (and everything under it), each with its reason. */
export function acknowledge(scope: IConstruct, findings: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(findings)) Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledge the wildcard-resource findings of the given resources, with one reason. */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  acknowledge(scope, Object.fromEntries(resources.map((r) => [wildcardResourceFinding(scope, r), reason])));
}
