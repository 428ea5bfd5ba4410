/**
 * The user data of a simulated device, in order:
 * 1. users: `ggc_user` (components) and `edgeqc-camera` (the camera simulator), both in `ggc_group`;
 * 2. IMDS closed to `ggc_user` (nftables, applied before Greengrass starts, on every boot), so no
 *    component can borrow the instance role; components get AWS credentials from the token exchange
 *    service only;
 * 3. the camera folder and the agent's default work folder, writable by `ggc_user`;
 * 4. the Greengrass nucleus (a pinned version) installed and provisioned with the device's one-time
 *    bootstrap policy, which the script deletes from the instance role as soon as provisioning is done,
 *    and on any failure (a shell EXIT trap): after install the instance role cannot create a
 *    certificate, attach anything to a thing or move a thing between groups;
 * 5. the camera simulator: a systemd service that copies sample images from the component bucket's
 *    samples/ prefix into the camera folder, one at a time, atomically (written aside, then renamed).
 */
const CAMERA_SIM = `#!/bin/bash
# Simulated camera: every interval, one sample image appears in the camera folder (written aside, renamed).
set -uo pipefail
samples="\${EDGEQC_SAMPLES_DIR:-/var/lib/edgeqc/samples}"
mkdir -p "$samples"
aws s3 sync --only-show-errors "$EDGEQC_SAMPLES_URI" "$samples" || true
n=0
while true; do
  mapfile -t images < <(find "$samples" -maxdepth 1 -type f \\( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \\) | sort)
  if [ "\${#images[@]}" -gt 0 ]; then
    src="\${images[$((n % \${#images[@]}))]}"
    name="shot-$(date +%s)-$n.\${src##*.}"
    cp "$src" "$EDGEQC_CAMERA_DIR/.$name.part" && mv "$EDGEQC_CAMERA_DIR/.$name.part" "$EDGEQC_CAMERA_DIR/$name"
    n=$((n + 1))
  fi
  sleep "$EDGEQC_SHOT_INTERVAL_SECONDS"
done
`;

/** The Greengrass component user and group (the installer's `--component-default-user`). */
export const COMPONENT_USER = 'ggc_user';
export const COMPONENT_GROUP = 'ggc_group';
/** The camera simulator's own user: it needs the instance role (samples/), which `ggc_user` may not reach. */
export const CAMERA_USER = 'edgeqc-camera';
/** The nftables table that closes IMDS to the component user and group. */
export const IMDS_BLOCK_TABLE = 'edgeqc_imds';
export const NUCLEUS_INIT_CONFIG_PATH = '/opt/greengrass-installer/init-config.yaml';

/**
 * The agent's default work folder for a camera folder: `<cameraDir>.edgeqc`, beside it (the rule of
 * `defaultWorkDir` in edge-component/src/config/parse-config.ts). Its parent belongs to root, so the
 * agent (as `ggc_user`) could not create it: the user data does.
 */
export function agentWorkDir(cameraDir: string): string {
  return `${cameraDir.replace(/\/+$/, '')}.edgeqc`;
}

/**
 * The nucleus configuration the installer starts with (`--init-config`; the installer reads it before
 * it provisions, and provisioning only adds the thing, certificate and endpoints).
 *
 * `interpolateComponentConfiguration`: a nucleus option (2.6.0+, default false). With it, the nucleus
 * replaces recipe variables such as `{iot:thingName}` inside a component's configuration at deployment
 * time, which includes the `accessControl` policy; without it the policy keeps the literal text
 * `{iot:thingName}` and matches no real topic, so every PublishToIoTCore of the agent is refused.
 * We set it here rather than drop the variable (`edgeqc/+/...`): the IPC policy then names this
 * device's own three topics exactly, on the device itself, not only in the cloud-side IoT policy.
 * The device fleet's deployment sets it again (with the disk spooler), so a device whose nucleus
 * configuration is reset keeps it.
 */
export function nucleusInitConfig(): string {
  return [
    '---',
    'services:',
    '  aws.greengrass.Nucleus:',
    '    configuration:',
    '      interpolateComponentConfiguration: true',
    '',
  ].join('\n');
}

/**
 * nftables rules (loaded with `nft -f`): the component user and group get "rejected" for the instance
 * metadata service, IPv4 and IPv6. Root (the nucleus, the user data) and the camera simulator keep it.
 * Idempotent: the table is declared, deleted and declared again.
 */
export function imdsBlockRules(): string {
  return `table inet ${IMDS_BLOCK_TABLE}
delete table inet ${IMDS_BLOCK_TABLE}
table inet ${IMDS_BLOCK_TABLE} {
  chain output {
    type filter hook output priority filter; policy accept;
    meta skuid "${COMPONENT_USER}" ip daddr 169.254.169.254 reject
    meta skuid "${COMPONENT_USER}" ip6 daddr fd00:ec2::254 reject
    meta skgid "${COMPONENT_GROUP}" ip daddr 169.254.169.254 reject
    meta skgid "${COMPONENT_GROUP}" ip6 daddr fd00:ec2::254 reject
  }
}
`;
}

export interface DeviceUserDataOptions {
  readonly region: string;
  readonly thingName: string;
  /** The rollout group (canary or fleet): the installer adds the thing to it. */
  readonly thingGroup: string;
  /** The group of the device fleet's own deployment (nucleus configuration, disk spooler). */
  readonly baseThingGroup: string;
  readonly thingPolicyName: string;
  readonly tesRoleName: string;
  readonly tesRoleAliasName: string;
  /** The device's own instance role. */
  readonly instanceRoleName: string;
  /**
   * The one-time bootstrap policy on that role is named `<bootstrapPolicyPrefix><instance id>` (it is
   * created right after the instance, bound to it); the user data waits for it, provisions, deletes it.
   */
  readonly bootstrapPolicyPrefix: string;
  /** s3://bucket/samples/ */
  readonly samplesUri: string;
  /** The folder the inference agent watches. */
  readonly cameraDir: string;
  /** Seconds between two simulated camera shots. */
  readonly shotIntervalSeconds: number;
  /** Greengrass nucleus release archive. */
  readonly nucleusUrl: string;
  /** A digest of the bootstrap policy: changing the policy changes the user data (the instance is replaced and provisions again). */
  readonly bootstrapPolicyDigest?: string;
}

/** The camera simulator script (bash), as installed at /usr/local/bin/edgeqc-camera-sim. */
export function cameraSimulatorScript(): string {
  return CAMERA_SIM;
}

/** Shell-quote a value for single-quoted bash. */
const q = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;

export function deviceUserDataCommands(o: DeviceUserDataOptions): string[] {
  const workDir = agentWorkDir(o.cameraDir);
  const imds = 'http://169.254.169.254/latest';
  return [
    'set -euo pipefail',
    ...(o.bootstrapPolicyDigest ? [`# bootstrap policy ${o.bootstrapPolicyDigest}`] : []),
    // This instance's bootstrap policy (root still reaches IMDS; ggc_user will not).
    `imds_token=$(curl -fsS --retry 5 -X PUT ${imds}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')`,
    `instance_id=$(curl -fsS --retry 5 -H "X-aws-ec2-metadata-token: $imds_token" ${imds}/meta-data/instance-id)`,
    `bootstrap_policy=${q(o.bootstrapPolicyPrefix)}"$instance_id"`,
    // The bootstrap credential goes whatever happens below: on success it is deleted explicitly right
    // after provisioning, on any failure by this trap.
    `edgeqc_drop_bootstrap() { aws iam delete-role-policy --role-name ${q(o.instanceRoleName)} --policy-name "$bootstrap_policy"; }`,
    `trap 'edgeqc_drop_bootstrap || echo "edgeqc: could not delete the bootstrap policy $bootstrap_policy" >&2' EXIT`,
    'dnf install -y java-21-amazon-corretto-headless unzip nftables',
    `getent group ${COMPONENT_GROUP} >/dev/null || groupadd --system ${COMPONENT_GROUP}`,
    `id ${COMPONENT_USER} >/dev/null 2>&1 || useradd --system --create-home --gid ${COMPONENT_GROUP} ${COMPONENT_USER}`,
    `id ${CAMERA_USER} >/dev/null 2>&1 || useradd --system --user-group --groups ${COMPONENT_GROUP} --shell /sbin/nologin ${CAMERA_USER}`,
    // IMDS closed to components, before Greengrass starts and on every boot (the hop limit of 1 in the
    // instance's metadata options keeps containers out as well).
    'install -d -m 0755 /etc/edgeqc',
    `cat > /etc/edgeqc/imds-block.nft <<'NFT'\n${imdsBlockRules()}NFT`,
    `cat > /etc/systemd/system/edgeqc-imds-block.service <<'UNIT'
[Unit]
Description=edgeqc: close the instance metadata service to Greengrass components (${COMPONENT_USER}, ${COMPONENT_GROUP})
Before=greengrass.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f /etc/edgeqc/imds-block.nft

[Install]
WantedBy=multi-user.target
UNIT`,
    'systemctl daemon-reload && systemctl enable --now edgeqc-imds-block.service',
    `nft list table inet ${IMDS_BLOCK_TABLE} >/dev/null`,
    // The camera folder: the camera user writes into it (setgid: files keep ggc_group), the agent reads
    // and renames; the agent's default work folder beside it belongs to the agent.
    'install -d -m 0755 /var/lib/edgeqc',
    `install -d -o ${COMPONENT_USER} -g ${COMPONENT_GROUP} -m 2770 ${q(o.cameraDir)}`,
    `install -d -o ${COMPONENT_USER} -g ${COMPONENT_GROUP} -m 0750 ${q(workDir)}`,
    // CloudFormation attaches the bootstrap policy once the instance exists: wait until it works (IAM is
    // eventually consistent), at most 10 minutes.
    `for attempt in $(seq 1 60); do aws iot describe-thing-group --region ${q(o.region)} --thing-group-name ${q(o.thingGroup)} >/dev/null 2>&1 && break; [ "$attempt" -lt 60 ] || { echo "edgeqc: no bootstrap policy after 10 minutes" >&2; exit 1; }; sleep 10; done`,
    'mkdir -p /opt/greengrass-installer && cd /opt/greengrass-installer',
    `cat > ${NUCLEUS_INIT_CONFIG_PATH} <<'YAML'\n${nucleusInitConfig()}YAML`,
    `curl -fsSL --retry 5 -o nucleus.zip ${q(o.nucleusUrl)}`,
    'unzip -o -q nucleus.zip -d nucleus',
    [
      'java -Droot=/greengrass/v2 -Dlog.store=FILE -jar nucleus/lib/Greengrass.jar',
      `--init-config ${NUCLEUS_INIT_CONFIG_PATH}`,
      `--aws-region ${q(o.region)}`,
      `--thing-name ${q(o.thingName)}`,
      `--thing-group-name ${q(o.thingGroup)}`,
      `--thing-policy-name ${q(o.thingPolicyName)}`,
      `--tes-role-name ${q(o.tesRoleName)}`,
      `--tes-role-alias-name ${q(o.tesRoleAliasName)}`,
      `--component-default-user ${COMPONENT_USER}:${COMPONENT_GROUP}`,
      '--provision true --setup-system-service true',
    ].join(' '),
    `aws iot add-thing-to-thing-group --region ${q(o.region)} --thing-name ${q(o.thingName)} --thing-group-name ${q(o.baseThingGroup)}`,
    // Provisioned: the bootstrap policy goes now (the trap stays as a second try only on failure).
    'edgeqc_drop_bootstrap',
    'trap - EXIT',
    // The camera simulator.
    `cat > /usr/local/bin/edgeqc-camera-sim <<'SIM'\n${CAMERA_SIM}SIM`,
    'chmod 0755 /usr/local/bin/edgeqc-camera-sim',
    `cat > /etc/systemd/system/edgeqc-camera-sim.service <<'UNIT'
[Unit]
Description=edgeqc simulated camera (sample images into the camera folder)
After=network-online.target greengrass.service

[Service]
User=${CAMERA_USER}
UMask=0027
Environment=EDGEQC_SAMPLES_URI=${o.samplesUri}
Environment=EDGEQC_CAMERA_DIR=${o.cameraDir}
Environment=EDGEQC_SHOT_INTERVAL_SECONDS=${o.shotIntervalSeconds}
ExecStart=/usr/local/bin/edgeqc-camera-sim
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT`,
    `install -d -o ${CAMERA_USER} -g ${CAMERA_USER} -m 0750 /var/lib/edgeqc/samples`,
    'systemctl daemon-reload && systemctl enable --now edgeqc-camera-sim.service',
  ];
}
