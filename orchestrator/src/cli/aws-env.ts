/**
 * SDK client settings from the command's environment (not process.env, so tests can give their own):
 * AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL (an emulator such as moto_server), and static
 * credentials when AWS_ACCESS_KEY_ID is set; otherwise the SDK's default credential chain.
 */
export interface ClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function clientSettings(env: Readonly<Record<string, string | undefined>>): ClientSettings {
  const out: ClientSettings = {};
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region) out.region = region;
  if (env.AWS_ENDPOINT_URL) out.endpoint = env.AWS_ENDPOINT_URL;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    out.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return out;
}
