#!/usr/bin/env bash
# Installs the real programs the tests drive; idempotent and quiet when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o Acquire::Retries=3 update -qq >/dev/null
  apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Prometheus and Alertmanager: the packages start daemons on install where systemd runs;
# the tests start their own copies on free loopback ports, so only the binaries matter.
apt_install prometheus prometheus-alertmanager

# The SAM CLI pins an older boto3 than ours: it gets a virtualenv of its own.
if [ ! -x .venv-sam/bin/sam ]; then
  echo "installing the AWS SAM CLI into .venv-sam" >&2
  python3 -m venv .venv-sam
  .venv-sam/bin/pip install -q --upgrade pip
  .venv-sam/bin/pip install -q 'aws-sam-cli>=1.120'
fi
