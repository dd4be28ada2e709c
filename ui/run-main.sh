#!/usr/bin/env bash
# Runs a main class of the ui module's test sources (Screenshots, PageBudgetBench) against this
# checkout: builds tracker + ui, then starts it on the test classpath. Nothing is installed into
# ~/.m2. Usage: ui/run-main.sh io.liandan.ui.Screenshots docs/screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
main="$1"
shift
cp_file=ui/target/test-classpath.txt
mvn -B -q ${MVN_OFFLINE:+-o} -pl ui -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile="$PWD/$cp_file" -Dspotless.check.skip=true
exec java -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.jooq.no-logo=true \
  -Dorg.jooq.no-tips=true -cp "ui/target/test-classes:ui/target/classes:$(cat "$cp_file")" "$main" "$@"
