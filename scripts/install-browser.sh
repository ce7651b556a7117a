#!/usr/bin/env bash
# Debian's chromium and its driver for the real-browser dashboard test (tests/test_browser.py), and Pango,
# the text layout library WeasyPrint draws the PDF reports with.
# Installs them when missing and this user may (root); otherwise says how, and the tests that need them
# are skipped (under CI=true a missing browser fails the test instead).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} for the browser test and the PDF reports ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
else
    echo "note: the browser test and PDF reports need: sudo apt-get install ${need[*]}" >&2
fi
