#!/usr/bin/env bash
# Make sure a Java runtime (17 or later) is present for the Spark engine of `caresec access`
# (PySpark 3.5+/4.x run on Java 17). Installs Debian's default-jre-headless when `java` is
# missing or older than 17; does nothing otherwise. Called from .ci/run.
set -euo pipefail

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1
}

if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  echo "java.sh: $(java -version 2>&1 | head -n 1)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "java.sh: no Java 17+ and no apt-get; install a Java 17+ runtime for the Spark engine" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
echo "java.sh: installed $(java -version 2>&1 | head -n 1)"
