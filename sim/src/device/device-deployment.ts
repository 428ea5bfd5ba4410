/** A deployment as a core device receives it (the CreateDeployment request's fields that matter here). */
import { z } from 'zod';

export const DeviceDeploymentSchema = z.strictObject({
  deploymentId: z.string().min(1),
  deploymentName: z.string().optional(),
  /** The thing group (or thing) ARN the deployment targets; a newer one replaces an older one. */
  targetArn: z.string().min(1),
  components: z.record(
    z.string().min(1),
    z.strictObject({
      componentVersion: z.string().min(1),
      configurationUpdate: z
        .strictObject({ merge: z.string().optional(), reset: z.array(z.string()).optional() })
        .optional(),
    }),
  ),
  failureHandlingPolicy: z.enum(['ROLLBACK', 'DO_NOTHING']).default('ROLLBACK'),
});
export type DeviceDeployment = z.input<typeof DeviceDeploymentSchema>;
export type ParsedDeviceDeployment = z.infer<typeof DeviceDeploymentSchema>;
