/**
 * The model signing key: KMS ECC_NIST_P256 SIGN_VERIFY (ECDSA P-256). The key policy lets the account
 * administer the key (so that it can never become unmanageable) but NOT use it: only the signer role
 * may kms:Sign / kms:GetPublicKey, and only with ECDSA_SHA_256. Devices trust the public key, which is
 * configured into the inference component, never fetched at run time.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, type IRole, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Key administration without use (no Encrypt/Decrypt/Sign/Verify/GetPublicKey). */
export const KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*Policy',
  'kms:GetKeyRotationStatus',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

export interface SigningKeyProps {
  /** The role allowed to sign (the PackageModel function's role). */
  readonly signer: IRole;
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
          new PolicyStatement({
            sid: 'AdministerWithoutUse',
            principals: [new AccountRootPrincipal()],
            actions: [...KEY_ADMIN_ACTIONS],
            // In a key policy, "*" means "this key".
            resources: ['*'],
          }),
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
