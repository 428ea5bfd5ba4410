#!/usr/bin/env bash
# Installs the outside programs that `npm test` starts: Mosquitto and Chromium (Debian; the review page's
# browser test drives it) and, when missing, moto's
# server and cfn-lint (Python), and a venv with grpcio (.work/grpcio-venv). Idempotent; needs root for apt-get.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if { ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; } || ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends mosquitto chromium >/dev/null
fi
if ! command -v moto_server >/dev/null 2>&1 || ! command -v cfn-lint >/dev/null 2>&1; then
  python3 -m pip install --quiet 'moto[server]' cfn-lint
fi
# grpcio and grpcio-tools for the Lookout for Vision Python client test, in a venv under .work/ (gitignored);
# pip's first configured extra index (the local wheel mirror, when there is one) serves as the index.
grpcio_venv="$(cd "$(dirname "$0")/.." && pwd)/.work/grpcio-venv"
if ! "$grpcio_venv/bin/python" -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
  python3 -m venv "$grpcio_venv"
  mirror="$(python3 -m pip config get global.extra-index-url 2>/dev/null | awk '{print $1}' || true)"
  "$grpcio_venv/bin/pip" install --quiet ${mirror:+--index-url "$mirror"} grpcio grpcio-tools
fi
echo "test tools: mosquitto $(/usr/sbin/mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'), $(moto_server --version 2>/dev/null || echo moto), cfn-lint $(cfn-lint --version 2>/dev/null | awk '{print $2}')"
echo "test tools: grpcio $("$grpcio_venv/bin/python" -c 'import grpc; print(grpc.__version__)') in $grpcio_venv"
