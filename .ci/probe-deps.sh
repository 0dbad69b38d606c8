#!/usr/bin/env bash
# Install the Debian packages the probe tests start as real servers: Orthanc (DICOM archive),
# DCMTK (storescp, echoscu) and Nmap. Only packages that are missing are installed; nothing is
# started here (the tests start their own servers on free loopback ports and stop them).
# Called from .ci/run before pytest. Needs root (CI runs as root) and Debian's package lists.
set -euo pipefail

need=()
command -v Orthanc >/dev/null 2>&1 || need+=(orthanc)
command -v storescp >/dev/null 2>&1 || need+=(dcmtk)
command -v nmap >/dev/null 2>&1 || need+=(nmap)

if [ "${#need[@]}" -eq 0 ]; then
  echo "probe-deps: orthanc, dcmtk and nmap already installed"
  exit 0
fi

echo "probe-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' own service scripts from starting daemons at install time (Debian
# policy-rc.d interface, exit 101 = action forbidden); removed again afterwards.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "probe-deps: done ($(command -v Orthanc) $(command -v storescp) $(command -v nmap))"
