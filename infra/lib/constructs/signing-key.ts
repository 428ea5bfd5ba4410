/**
 * The model signing key: KMS ECC_NIST_P256 SIGN_VERIFY (ECDSA P-256). The key policy lets the account
 * administer the key (so that it can never become unmanageable) but NOT use it: only the signer role
 * may kms:Sign / kms:GetPublicKey, and only with ECDSA_SHA_256. Nobody may create grants, and only
 * CloudFormation's execution role (and the optional `keyAdminArns`) may change the key policy, so no
 * other principal of the account can give itself the right to sign. Devices trust the public key,
 * which is configured into the inference component, never fetched at run time.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, type IRole, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Key administration without use, listed action by action (no wildcards: `kms:Create*` would include
 * CreateGrant, `kms:Put*` PutKeyPolicy). No Encrypt/Decrypt/Sign/Verify/GetPublicKey, no CreateGrant (a
 * grant can hand out kms:Sign), no PutKeyPolicy (see KEY_POLICY_ACTIONS).
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListKeyRotations',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:UpdateKeyDescription',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:RevokeGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

/** Actions that change who may use the key: only key administrators (KEY_ADMIN_ROLE_PATTERN, keyAdminArns). */
export const KEY_POLICY_ACTIONS = ['kms:PutKeyPolicy'] as const;

/** Actions no statement of the key policy may grant to anyone: they give away the use of the key. */
export const KEY_DELEGATION_ACTIONS = ['kms:CreateGrant', 'kms:PutKeyPolicy', 'kms:*'] as const;

/**
 * The CloudFormation execution roles of `cdk bootstrap` (`cdk-<qualifier>-cfn-exec-role-<account>-<region>`):
 * CloudFormation calls PutKeyPolicy when it creates or updates the key, and KMS refuses a key policy that
 * would not let its caller change it again (the lockout safety check).
 */
export function cdkExecutionRolePattern(scope: Construct): string {
  const stack = Stack.of(scope);
  return stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: `cdk-*-cfn-exec-role-${stack.account}-${stack.region}`,
  });
}

/**
 * The administration statements of an edgeqc key policy: the account administers the key without using
 * it (KEY_ADMIN_ACTIONS, through IAM), and only CloudFormation's execution role and `keyAdminArns` may
 * change the key policy. No statement allows kms:CreateGrant.
 */
export function keyAdministrationStatements(scope: Construct, keyAdminArns: readonly string[] = []): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'AdministerWithoutUse',
      principals: [new AccountRootPrincipal()],
      actions: [...KEY_ADMIN_ACTIONS],
      // In a key policy, "*" means "this key".
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'ChangeKeyPolicyAdminsOnly',
      principals: [new AccountRootPrincipal()],
      actions: [...KEY_POLICY_ACTIONS],
      resources: ['*'],
      conditions: { ArnLike: { 'aws:PrincipalArn': [cdkExecutionRolePattern(scope), ...keyAdminArns] } },
    }),
  ];
}

export interface SigningKeyProps {
  /** The role allowed to sign (the PackageModel function's role). */
  readonly signer: IRole;
  /**
   * IAM principals (ARNs, `*` patterns allowed) that may change the key policy, besides CloudFormation's
   * execution role. Default: none (the key policy changes only through a deployment).
   */
  readonly keyAdminArns?: readonly string[];
  /** Default: RETAIN (signatures in the field must stay verifiable). */
  readonly removalPolicy?: RemovalPolicy;
}

export class SigningKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'edgeqc model manifest signing key (ECDSA P-256)',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      policy: new PolicyDocument({
        statements: [
          ...keyAdministrationStatements(this, props.keyAdminArns),
          new PolicyStatement({
            sid: 'SignWithEcdsaP256',
            principals: [props.signer],
            actions: ['kms:Sign'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } },
          }),
          new PolicyStatement({
            sid: 'ReadPublicKey',
            principals: [props.signer],
            actions: ['kms:GetPublicKey', 'kms:DescribeKey'],
            resources: ['*'],
          }),
        ],
      }),
    });
  }
}
