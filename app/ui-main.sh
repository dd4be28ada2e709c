#!/usr/bin/env bash
# Runs a main class of the UI's test sources in app (Screenshots, PageBudgetBench) against this
# checkout, as users get it: builds app/target/liandan.jar (the pages are served by `liandan.jar
# server`), then starts the main on app's test classpath, which seeds the database.
# Usage: app/ui-main.sh io.liandan.ui.Screenshots docs/screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
main="$1"
shift
cp_file=app/target/test-classpath.txt
mvn -B -q ${MVN_OFFLINE:+-o} -pl app -am package -DskipTests -Dspotless.check.skip=true
mvn -B -q ${MVN_OFFLINE:+-o} -pl app test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile="$PWD/$cp_file" -Dspotless.check.skip=true
exec java -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.jooq.no-logo=true \
  -Dorg.jooq.no-tips=true -Dliandan.jar=app/target/liandan.jar \
  -cp "app/target/test-classes:app/target/classes:$(cat "$cp_file")" "$main" "$@"
