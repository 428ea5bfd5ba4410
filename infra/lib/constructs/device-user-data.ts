/**
 * The user data of a simulated device: install Java and the Greengrass nucleus, provision the device
 * into its thing group (automatic provisioning with the pre-created policy, role and role alias), and
 * start the camera simulator: a systemd service that copies sample images from the component bucket's
 * samples/ prefix into the camera folder, one at a time, atomically (written aside, then renamed).
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

export interface DeviceUserDataOptions {
  readonly region: string;
  readonly thingName: string;
  readonly thingGroup: string;
  readonly thingPolicyName: string;
  readonly tesRoleName: string;
  readonly tesRoleAliasName: string;
  /** s3://bucket/samples/ */
  readonly samplesUri: string;
  /** The folder the inference agent watches. */
  readonly cameraDir: string;
  /** Seconds between two simulated camera shots. */
  readonly shotIntervalSeconds: number;
  /** Greengrass nucleus release archive. */
  readonly nucleusUrl: string;
}

/** The camera simulator script (bash), as installed at /usr/local/bin/edgeqc-camera-sim. */
export function cameraSimulatorScript(): string {
  return CAMERA_SIM;
}

/** Shell-quote a value for single-quoted bash. */
const q = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;

export function deviceUserDataCommands(o: DeviceUserDataOptions): string[] {
  return [
    'set -euo pipefail',
    'dnf install -y java-21-amazon-corretto-headless unzip',
    'getent group ggc_group >/dev/null || groupadd --system ggc_group',
    'id ggc_user >/dev/null 2>&1 || useradd --system --create-home --gid ggc_group ggc_user',
    `install -d -o ggc_user -g ggc_group -m 0750 ${q(o.cameraDir)}`,
    'mkdir -p /opt/greengrass-installer && cd /opt/greengrass-installer',
    `curl -fsSL --retry 5 -o nucleus.zip ${q(o.nucleusUrl)}`,
    'unzip -o -q nucleus.zip -d nucleus',
    [
      'java -Droot=/greengrass/v2 -Dlog.store=FILE -jar nucleus/lib/Greengrass.jar',
      `--aws-region ${q(o.region)}`,
      `--thing-name ${q(o.thingName)}`,
      `--thing-group-name ${q(o.thingGroup)}`,
      `--thing-policy-name ${q(o.thingPolicyName)}`,
      `--tes-role-name ${q(o.tesRoleName)}`,
      `--tes-role-alias-name ${q(o.tesRoleAliasName)}`,
      '--component-default-user ggc_user:ggc_group',
      '--provision true --setup-system-service true',
    ].join(' '),
    // The camera simulator.
    `cat > /usr/local/bin/edgeqc-camera-sim <<'SIM'\n${CAMERA_SIM}SIM`,
    'chmod 0755 /usr/local/bin/edgeqc-camera-sim',
    `cat > /etc/systemd/system/edgeqc-camera-sim.service <<'UNIT'
[Unit]
Description=edgeqc simulated camera (sample images into the camera folder)
After=network-online.target greengrass.service

[Service]
User=ggc_user
Environment=EDGEQC_SAMPLES_URI=${o.samplesUri}
Environment=EDGEQC_CAMERA_DIR=${o.cameraDir}
Environment=EDGEQC_SHOT_INTERVAL_SECONDS=${o.shotIntervalSeconds}
ExecStart=/usr/local/bin/edgeqc-camera-sim
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT`,
    'install -d -o ggc_user -g ggc_group /var/lib/edgeqc/samples',
    'systemctl daemon-reload && systemctl enable --now edgeqc-camera-sim.service',
  ];
}
