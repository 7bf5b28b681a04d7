#!/usr/bin/env bash
# Installs Chromium from the OS (Debian) packages, for the headless-browser test of the
# checker's history view (`tests/cli_check.rs`). Idempotent: a no-op when present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium) already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get not found; install Chromium with your OS's package manager" >&2
  exit 1
fi
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
sudo_if_needed apt-get update
DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y chromium
command -v chromium
