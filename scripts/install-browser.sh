#!/usr/bin/env bash
# Debian's chromium and its driver for the real-browser dashboard test (tests/test_browser.py).
# Installs them when missing and this user may (root); otherwise says how, and the test is skipped
# (under CI=true a missing browser fails the test instead).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver for the browser test ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
else
    echo "note: the browser test needs chromium and chromium-driver (sudo apt-get install chromium chromium-driver)" >&2
fi
