#!/usr/bin/env bash
# Installs everything the tests need (Debian tools, and the package with its test extras in a
# virtual environment of its own, .venv), then runs the linters, the type checker and the
# whole test suite. README "Two commands" and .ci/run call exactly this. It works with
# Debian's own python3 (which refuses pip installs outside a virtual environment, PEP 668) as
# well as with any other Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real tools check real outputs: qpdf (PDF structure), poppler (rendering), zbar (QR decoding),
# and Debian's chromium loads the verification page as a person would (with a font to draw).
# systemd-analyze checks the service units in deploy/. Tesseract with its Indonesian data
# reads scanned finals (drivebot.archive.reading), at run time too.
declare -A tools=([qpdf]=qpdf [pdftoppm]=poppler-utils [pdftotext]=poppler-utils
                  [zbarimg]=zbar-tools [chromium]=chromium [systemd-analyze]=systemd
                  [tesseract]=tesseract-ocr)
missing=()
for tool in "${!tools[@]}"; do
    command -v "$tool" >/dev/null || missing+=("${tools[$tool]}")
done
{ command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx ind; } \
    || missing+=(tesseract-ocr-ind)
ldconfig -p | grep -q libzbar.so.0 || missing+=(libzbar0)
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

# The project's own environment, made once and reused; an active one is used as it is.
if [ -n "${VIRTUAL_ENV:-}" ]; then
    py=python
else
    [ -x .venv/bin/python ] || python3 -m venv .venv
    py=.venv/bin/python
fi
"$py" -m pip install -q --disable-pip-version-check -e ".[test]"
"$py" -m ruff check .
"$py" -m ruff format --check --quiet .
"$py" -m mypy
"$py" -m pytest -q "$@"
