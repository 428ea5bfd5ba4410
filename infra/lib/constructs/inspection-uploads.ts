/**
 * The inspections bucket: where devices upload inspected images and their messages
 * (`inspections/<thing>/<yyyy>/<mm>/<dd>/<verdict>/<messageId>.<jpg|png|json>`, edge-component's
 * src/upload/), read by the review stack. S3-managed encryption, TLS only, public access blocked,
 * bucket-owner-enforced ownership, versioned, server access logs into a bucket of its own, and a
 * lifecycle for the uploads: infrequent access after `infrequentAccessAfterDays`, deleted after
 * `expireAfterDays` (the prefix only: reviewed datasets written beside them are kept).
 *
 * Devices: `grantDeviceUploads(role)` lets the Greengrass token exchange role put objects under
 * `inspections/${credentials-iot:ThingName}/*` and nothing else: the AWS IoT credentials provider
 * resolves that variable to the thing whose certificate asked for the credentials (the nucleus's token
 * exchange service sends the thing name with the request), so one role serves the whole fleet and no
 * device can write under another device's prefix, read, list or delete.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag.ts';
import { accessLogsBucket, PRIVATE_BUCKET } from './private-bucket.ts';

/** The IAM policy variable of the thing the AWS IoT credentials provider issued the credentials to. */
export const CREDENTIALS_THING_NAME_VARIABLE = ['$', '{credentials-iot:ThingName}'].join('');

/** The inspections bucket's name in a stack's account and region (what the uploader is configured with). */
export function inspectionBucketName(scope: Construct): string {
  const stack = Stack.of(scope);
  return `edgeqc-inspections-${stack.account}-${stack.region}`;
}

export interface InspectionUploadsProps {
  /** Default: inspectionBucketName(this) (edgeqc-inspections-<account>-<region>). */
  readonly bucketName?: string;
  /** Key prefix of the uploads (the agent's `upload.prefix`). Default `inspections`. */
  readonly prefix?: string;
  /** Roles that may upload under `<prefix>/<their thing>/` (the Greengrass token exchange role). Default none. */
  readonly deviceRoles?: readonly IRole[];
  /** Uploads move to S3 Standard-IA after this many days. Default 30. */
  readonly infrequentAccessAfterDays?: number;
  /** Uploads are deleted after this many days. Default 365. */
  readonly expireAfterDays?: number;
  /** What happens to the buckets when the stack is deleted. Default: RETAIN (reviewed evidence). */
  readonly removalPolicy?: RemovalPolicy;
}

export class InspectionUploads extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  /** The uploads' key prefix, without a trailing "/". */
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: InspectionUploadsProps = {}) {
    super(scope, id);
    this.prefix = props.prefix ?? 'inspections';
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(this.prefix)) {
      throw new Error(
        `prefix ${JSON.stringify(this.prefix)}: expected levels of letters, digits and "_.-" separated by "/"`,
      );
    }
    const iaDays = props.infrequentAccessAfterDays ?? 30;
    const expireDays = props.expireAfterDays ?? 365;
    if (!Number.isInteger(iaDays) || iaDays < 30) {
      throw new Error(`infrequentAccessAfterDays ${iaDays}: expected an integer of at least 30 (S3's minimum)`);
    }
    if (!Number.isInteger(expireDays) || expireDays <= iaDays) {
      throw new Error(`expireAfterDays ${expireDays}: expected an integer above infrequentAccessAfterDays (${iaDays})`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.accessLogs = accessLogsBucket(this, 'AccessLogs', removalPolicy);
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: props.bucketName ?? inspectionBucketName(this),
      ...PRIVATE_BUCKET,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'inspections-bucket/',
      lifecycleRules: [
        {
          id: 'uploads',
          prefix: `${this.prefix}/`,
          transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(iaDays) }],
          expiration: Duration.days(expireDays),
        },
        {
          id: 'noncurrent-and-incomplete',
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });
    for (const role of props.deviceRoles ?? []) this.grantDeviceUploads(role);
  }

  /** The object ARN pattern a device may write: `<prefix>/${credentials-iot:ThingName}/*`. */
  get deviceObjects(): string {
    return this.bucket.arnForObjects(`${this.prefix}/${CREDENTIALS_THING_NAME_VARIABLE}/*`);
  }

  /** Lets `role` (the token exchange role) put objects under its own thing's prefix, and do nothing else here. */
  grantDeviceUploads(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'UploadInspectionsOwnThing',
        actions: ['s3:PutObject'],
        resources: [this.deviceObjects],
      }),
    );
    acknowledgeWildcards(
      role,
      [this.deviceObjects],
      'Devices put objects only under inspections/<their own thing name>/ (credentials-iot:ThingName, resolved ' +
        'by the AWS IoT credentials provider); the key below it is per inspection.',
    );
  }
}
