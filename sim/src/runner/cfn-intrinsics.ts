/**
 * Resolves the CloudFormation intrinsics a CDK-synthesized state machine definition uses (Fn::Join,
 * Fn::GetAtt, Ref, Fn::Sub, Fn::Select, Fn::Split and the AWS:: pseudo parameters) to local values, so
 * that the very definition the CDK app deploys can run here. Every resource gets a stable local ARN or
 * name derived from its logical ID (a Lambda function's ARN ends in `function:<logicalId>`). Pure.
 */
import { LocalModeError } from '../errors.ts';

export interface CfnTemplate {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
}

/** The account ID the one-machine mode uses in every ARN. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalAccount {
  readonly region: string;
  readonly accountId: string;
}

const SERVICE_OF: Readonly<Record<string, string>> = {
  'AWS::Lambda::Function': 'lambda',
  'AWS::SNS::Topic': 'sns',
  'AWS::SQS::Queue': 'sqs',
  'AWS::S3::Bucket': 's3',
  'AWS::KMS::Key': 'kms',
  'AWS::IAM::Role': 'iam',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::StepFunctions::StateMachine': 'states',
  'AWS::IoT::ThingGroup': 'iot',
  'AWS::Events::Rule': 'events',
  'AWS::Logs::LogGroup': 'logs',
};

/** The local ARN of a resource (what Fn::GetAtt X.Arn gives). */
export function localArn(template: CfnTemplate, logicalId: string, account: LocalAccount): string {
  const resource = template.Resources[logicalId];
  if (!resource) throw new LocalModeError('TEMPLATE_REFERENCE', `the template has no resource '${logicalId}'`);
  const { region, accountId } = account;
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${accountId}:function:${logicalId}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${accountId}:${logicalId}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${logicalId.toLowerCase()}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${region}:${accountId}:key/${logicalId}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${accountId}:role/${logicalId}`;
    case 'AWS::IoT::ThingGroup':
      return `arn:aws:iot:${region}:${accountId}:thinggroup/${String(resource.Properties?.ThingGroupName ?? logicalId)}`;
    default: {
      const service = SERVICE_OF[resource.Type] ?? resource.Type.split('::')[1]?.toLowerCase() ?? 'local';
      return `arn:aws:${service}:${region}:${accountId}:${logicalId}`;
    }
  }
}

/** What Ref gives: a name for most resources, the ARN for topics and state machines. */
function localRef(template: CfnTemplate, logicalId: string, account: LocalAccount): string {
  const pseudo: Record<string, string> = {
    'AWS::Region': account.region,
    'AWS::AccountId': account.accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local',
    'AWS::NoValue': '',
  };
  if (logicalId in pseudo) return pseudo[logicalId]!;
  const resource = template.Resources[logicalId];
  if (!resource)
    throw new LocalModeError('TEMPLATE_REFERENCE', `the template has no resource or parameter '${logicalId}'`);
  if (resource.Type === 'AWS::SNS::Topic' || resource.Type === 'AWS::StepFunctions::StateMachine') {
    return localArn(template, logicalId, account);
  }
  if (resource.Type === 'AWS::S3::Bucket') return logicalId.toLowerCase();
  if (resource.Type === 'AWS::IoT::ThingGroup') return String(resource.Properties?.ThingGroupName ?? logicalId);
  return logicalId;
}

export function resolveIntrinsics(value: unknown, template: CfnTemplate, account: LocalAccount): unknown {
  const r = (v: unknown): unknown => resolveIntrinsics(v, template, account);
  if (Array.isArray(value)) return value.map(r);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    switch (key) {
      case 'Ref':
        return localRef(template, String(arg), account);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        if (attr === 'Arn') return localArn(template, id!, account);
        if (attr === 'Name' || attr === 'TopicName') return id!;
        return `${id}.${attr}`;
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (r(parts) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number | string, unknown];
        return (r(list) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(r(text)).split(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        const resolvedVars = r(vars) as Record<string, unknown>;
        return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (name in resolvedVars) return String(resolvedVars[name]);
          if (name.includes('.')) {
            const [id, attr] = name.split('.');
            return String(r({ 'Fn::GetAtt': [id, attr] }));
          }
          return localRef(template, name, account);
        });
      }
      default:
        break;
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, r(v)]));
}
