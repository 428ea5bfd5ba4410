#!/usr/bin/env bash
# Installs the outside programs that `npm test` starts: Mosquitto (Debian) and, when missing, moto's
# server and cfn-lint (Python). Idempotent; needs root for apt-get.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
fi
if ! command -v moto_server >/dev/null 2>&1 || ! command -v cfn-lint >/dev/null 2>&1; then
  python3 -m pip install --quiet 'moto[server]' cfn-lint
fi
echo "test tools: mosquitto $(/usr/sbin/mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'), $(moto_server --version 2>/dev/null || echo moto), cfn-lint $(cfn-lint --version 2>/dev/null | awk '{print $2}')"
