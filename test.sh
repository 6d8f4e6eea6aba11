#!/usr/bin/env bash
# Runs every test: installs what is missing, builds (native shim included), runs each test project against real
# SQLite files, a throwaway PostgreSQL, the libtorch shim and Debian's Chromium. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
if ! bash scripts/setup.sh; then
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; skipped=0; status=0
results=$(mktemp -d)
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    2>&1 | grep -vE '^\s*$' | tail -n 40
  [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
  trx="$results/$name.trx"
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
    # dotnet test's own lines about a failure scroll past with the app's logs: name each failed test and its message.
    if [ "${f:-0}" -gt 0 ]; then
      python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
    message = r.find(".//t:ErrorInfo/t:Message", ns)
    text = (message.text or "").strip() if message is not None else ""
    # The reason is at the start, the logs a test attaches end with what happened last.
    print("FAILED", r.get("testName") + ":", text if len(text) <= 6000 else text[:1500] + "\n[...]\n" + text[-4500:])
PY
    fi
  else
    echo "$name: no results (the test host did not run)"; failed=$((failed + 1)); status=1
  fi
done
rm -rf "$results"
[ "$failed" -gt 0 ] && status=1
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
exit $status
