#!/usr/bin/env bash
# Installs everything the tests need (Debian tools + the package with its test extras), then
# runs the linter and the whole test suite. README "Tests" and .ci/run call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real tools check real outputs: qpdf (PDF structure), poppler (rendering), zbar (QR decoding),
# and Debian's chromium loads the verification page as a person would (with a font to draw).
declare -A tools=([qpdf]=qpdf [pdftoppm]=poppler-utils [pdftotext]=poppler-utils
                  [zbarimg]=zbar-tools [chromium]=chromium)
missing=()
for tool in "${!tools[@]}"; do
    command -v "$tool" >/dev/null || missing+=("${tools[$tool]}")
done
ldconfig -p | grep -q libzbar.so.0 || missing+=(libzbar0)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
python3 -m ruff check .
python3 -m ruff format --check --quiet .
python3 -m mypy
python3 -m pytest -q "$@"
