/**
 * DeploymentService over Greengrass v2 (deployments, per-device state) and AWS IoT (thing groups).
 * Responses are reduced to the port's plain data.
 */
import {
  CancelDeploymentCommand,
  type ComponentDeploymentSpecification,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GreengrassV2Client,
  ListDeploymentsCommand,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { DescribeThingGroupCommand, IoTClient, ListThingsInThingGroupCommand } from '@aws-sdk/client-iot';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ComponentSpec, DeploymentInfo, DeploymentService } from '../ports.ts';
import { awsCall, isAwsError } from './aws-errors.ts';

type SdkComponents = Record<string, ComponentDeploymentSpecification>;

function toSpecs(components: SdkComponents | undefined): Record<string, ComponentSpec> {
  const out: Record<string, ComponentSpec> = {};
  for (const [name, c] of Object.entries(components ?? {})) {
    if (!c.componentVersion) continue;
    out[name] = {
      componentVersion: c.componentVersion,
      ...(c.configurationUpdate ? { configurationUpdate: c.configurationUpdate } : {}),
      ...(c.runWith
        ? {
            runWith: {
              ...(c.runWith.posixUser ? { posixUser: c.runWith.posixUser } : {}),
              ...(c.runWith.windowsUser ? { windowsUser: c.runWith.windowsUser } : {}),
              ...(c.runWith.systemResourceLimits
                ? {
                    systemResourceLimits: {
                      ...(c.runWith.systemResourceLimits.memory !== undefined
                        ? { memory: c.runWith.systemResourceLimits.memory }
                        : {}),
                      ...(c.runWith.systemResourceLimits.cpus !== undefined
                        ? { cpus: c.runWith.systemResourceLimits.cpus }
                        : {}),
                    },
                  }
                : {}),
            },
          }
        : {}),
    };
  }
  return out;
}

function toSdkSpec(c: ComponentSpec): ComponentDeploymentSpecification {
  return {
    componentVersion: c.componentVersion,
    ...(c.configurationUpdate
      ? {
          configurationUpdate: {
            merge: c.configurationUpdate.merge,
            reset: c.configurationUpdate.reset ? [...c.configurationUpdate.reset] : undefined,
          },
        }
      : {}),
    ...(c.runWith
      ? {
          runWith: {
            ...c.runWith,
            systemResourceLimits: c.runWith.systemResourceLimits ? { ...c.runWith.systemResourceLimits } : undefined,
          },
        }
      : {}),
  };
}

/** Collects every page of a paginated list call. */
async function allPages<T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const { items, next } = await page(token);
    out.push(...items);
    if (!next) return out;
    token = next;
  }
  return out;
}

export function createGreengrassDeploymentService(
  greengrass: Pick<GreengrassV2Client, 'send'> = new GreengrassV2Client({}),
  iot: Pick<IoTClient, 'send'> = new IoTClient({}),
): DeploymentService {
  const getDeployment = async (deploymentId: string): Promise<DeploymentInfo> => {
    const d = await awsCall(`Greengrass GetDeployment ${deploymentId}`, () =>
      greengrass.send(new GetDeploymentCommand({ deploymentId })),
    );
    return {
      deploymentId,
      deploymentName: d.deploymentName,
      targetArn: d.targetArn ?? '',
      status: d.deploymentStatus ?? 'ACTIVE',
      components: toSpecs(d.components as SdkComponents | undefined),
      createdAt: d.creationTimestamp,
      iotJobId: d.iotJobId,
    };
  };
  return {
    getDeployment,
    async thingGroupArn(groupName) {
      try {
        const out = await awsCall(`IoT DescribeThingGroup ${groupName}`, () =>
          iot.send(new DescribeThingGroupCommand({ thingGroupName: groupName })),
        );
        if (!out.thingGroupArn) throw new Error('no thingGroupArn');
        return out.thingGroupArn;
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) {
          throw new RolloutError(
            ErrorNames.DeploymentRejected,
            'THING_GROUP_NOT_FOUND',
            `thing group '${groupName}' does not exist`,
            {
              cause: err,
            },
          );
        }
        throw err;
      }
    },
    async groupMembers(groupName) {
      return allPages(async (nextToken) => {
        const out = await awsCall(`IoT ListThingsInThingGroup ${groupName}`, () =>
          iot.send(
            // 250 a page, the API's largest: the fleet check lists the group once per rollout.
            new ListThingsInThingGroupCommand({
              thingGroupName: groupName,
              recursive: true,
              maxResults: 250,
              nextToken,
            }),
          ),
        );
        return { items: out.things ?? [], next: out.nextToken };
      });
    },
    async currentDeployment(targetArn) {
      const out = await awsCall(`Greengrass ListDeployments ${targetArn}`, () =>
        greengrass.send(new ListDeploymentsCommand({ targetArn, historyFilter: 'LATEST_ONLY' })),
      );
      const latest = (out.deployments ?? []).find((d) => d.isLatestForTarget !== false && d.deploymentId);
      return latest?.deploymentId ? getDeployment(latest.deploymentId) : undefined;
    },
    async deploymentHistory(targetArn) {
      const all = await allPages(async (nextToken) => {
        const out = await awsCall(`Greengrass ListDeployments ${targetArn}`, () =>
          greengrass.send(new ListDeploymentsCommand({ targetArn, historyFilter: 'ALL', nextToken })),
        );
        return { items: out.deployments ?? [], next: out.nextToken };
      });
      return all
        .filter((d) => d.deploymentId)
        .map((d) => ({
          deploymentId: d.deploymentId ?? '',
          deploymentName: d.deploymentName,
          targetArn: d.targetArn ?? targetArn,
          status: d.deploymentStatus ?? 'ACTIVE',
          createdAt: d.creationTimestamp,
        }))
        .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    },
    async cancelDeployment(deploymentId) {
      try {
        await awsCall(`Greengrass CancelDeployment ${deploymentId}`, () =>
          greengrass.send(new CancelDeploymentCommand({ deploymentId })),
        );
      } catch (err) {
        // Already canceled, completed or superseded: nothing left to stop.
        if (isAwsError(err, 'ConflictException')) return;
        throw err;
      }
    },
    async createDeployment(request) {
      try {
        const out = await awsCall(`Greengrass CreateDeployment ${request.targetArn}`, () =>
          greengrass.send(
            new CreateDeploymentCommand({
              targetArn: request.targetArn,
              deploymentName: request.deploymentName,
              components: Object.fromEntries(
                Object.entries(request.components).map(([name, c]) => [name, toSdkSpec(c)]),
              ),
              deploymentPolicies: {
                failureHandlingPolicy: request.policies.failureHandlingPolicy,
                componentUpdatePolicy: { ...request.policies.componentUpdatePolicy },
                configurationValidationPolicy: { ...request.policies.configurationValidationPolicy },
              },
              iotJobConfiguration: request.jobConfiguration
                ? {
                    jobExecutionsRolloutConfig: request.jobConfiguration.rollout
                      ? {
                          maximumPerMinute: request.jobConfiguration.rollout.maximumPerMinute,
                          exponentialRate: request.jobConfiguration.rollout.exponentialRate
                            ? {
                                ...request.jobConfiguration.rollout.exponentialRate,
                                rateIncreaseCriteria: {
                                  ...request.jobConfiguration.rollout.exponentialRate.rateIncreaseCriteria,
                                },
                              }
                            : undefined,
                        }
                      : undefined,
                    abortConfig: request.jobConfiguration.abort
                      ? { criteriaList: request.jobConfiguration.abort.map((c) => ({ ...c })) }
                      : undefined,
                    timeoutConfig: request.jobConfiguration.timeoutInMinutes
                      ? { inProgressTimeoutInMinutes: request.jobConfiguration.timeoutInMinutes }
                      : undefined,
                  }
                : undefined,
              tags: request.tags ? { ...request.tags } : undefined,
              clientToken: request.clientToken,
            }),
          ),
        );
        if (!out.deploymentId) throw new Error('CreateDeployment returned no deploymentId');
        return { deploymentId: out.deploymentId, iotJobId: out.iotJobId };
      } catch (err) {
        if (isAwsError(err, 'ValidationException', 'ResourceNotFoundException', 'ConflictException')) {
          throw new RolloutError(
            ErrorNames.DeploymentRejected,
            (err as Error).name,
            `CreateDeployment to ${request.targetArn} was refused: ${(err as Error).message}`,
            { cause: err },
          );
        }
        throw err;
      }
    },
    async listEffectiveDeployments(thingName) {
      return allPages(async (nextToken) => {
        const out = await awsCall(`Greengrass ListEffectiveDeployments ${thingName}`, () =>
          greengrass.send(new ListEffectiveDeploymentsCommand({ coreDeviceThingName: thingName, nextToken })),
        );
        return {
          items: (out.effectiveDeployments ?? []).map((d) => ({
            deploymentId: d.deploymentId ?? '',
            executionStatus: d.coreDeviceExecutionStatus ?? 'QUEUED',
            reason: d.reason,
            detailedStatus: d.statusDetails?.errorStack?.join(' > ') || undefined,
            modifiedAt: d.modifiedTimestamp,
          })),
          next: out.nextToken,
        };
      });
    },
    async listInstalledComponents(thingName) {
      return allPages(async (nextToken) => {
        const out = await awsCall(`Greengrass ListInstalledComponents ${thingName}`, () =>
          greengrass.send(
            new ListInstalledComponentsCommand({ coreDeviceThingName: thingName, topologyFilter: 'ALL', nextToken }),
          ),
        );
        return {
          items: (out.installedComponents ?? []).map((c) => ({
            componentName: c.componentName ?? '',
            componentVersion: c.componentVersion ?? '',
            lifecycleState: c.lifecycleState ?? 'NEW',
          })),
          next: out.nextToken,
        };
      });
    },
  };
}
