#!/usr/bin/env bash
# Vendor the front-end assets from the npm registry into the package's static files, at pinned
# versions, and record their SHA-256 checksums. Run by `make vendor`; the result is committed so that
# installing raigov needs neither npm nor a CDN. tests/web/test_vendor.py checks the checksums.
set -euo pipefail
cd "$(dirname "$0")/.."
USWDS_VERSION=3.14.0
HTMX_VERSION=2.0.11
AXE_VERSION=4.14.1
SWAGGER_VERSION=5.35.0
dest=src/raigov/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # name@version -> extracted package dir
  (cd "$work" && npm pack --silent "$1" >/dev/null)
  local tgz; tgz=$(ls -t "$work"/*.tgz | head -1)
  mkdir -p "$work/x" && tar -xzf "$tgz" -C "$work/x" && rm "$tgz"
  local d="$work/$(echo "$1" | tr '/@' '__')"; mv "$work/x/package" "$d"; rm -rf "$work/x"; echo "$d"
}

rm -rf "$dest" && mkdir -p "$dest"/{uswds,htmx,axe-core,swagger-ui}
u=$(fetch "@uswds/uswds@$USWDS_VERSION")
cp -r "$u/dist/css" "$u/dist/js" "$u/dist/fonts" "$dest/uswds/"
mkdir -p "$dest/uswds/img" && cp -r "$u/dist/img/"*.svg "$u/dist/img/usa-icons" "$u/dist/img/sprite.svg" "$dest/uswds/img/" 2>/dev/null || true
cp "$u/LICENSE.md" "$dest/uswds/LICENSE.md"
find "$dest/uswds" -name '*.map' -delete
rm -f "$dest/uswds/css/uswds.css" "$dest/uswds/js/uswds.js" "$dest/uswds/js/uswds-init.js"
find "$dest/uswds/fonts" -type f ! -name '*.woff2' -delete
h=$(fetch "htmx.org@$HTMX_VERSION")
cp "$h/dist/htmx.min.js" "$dest/htmx/" && cp "$h/LICENSE" "$dest/htmx/LICENSE"
a=$(fetch "axe-core@$AXE_VERSION")
cp "$a/axe.min.js" "$dest/axe-core/" && cp "$a/LICENSE" "$dest/axe-core/LICENSE"
sw=$(fetch "swagger-ui-dist@$SWAGGER_VERSION")
cp "$sw/swagger-ui-bundle.js" "$sw/swagger-ui.css" "$sw/LICENSE" "$dest/swagger-ui/"
cat > "$dest/VERSIONS" <<TXT
@uswds/uswds $USWDS_VERSION
htmx.org $HTMX_VERSION
axe-core $AXE_VERSION
swagger-ui-dist $SWAGGER_VERSION
TXT
(cd "$dest" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
echo "vendored into $dest: $(wc -l < "$dest/SHA256SUMS") files, $(du -sh "$dest" | cut -f1)"
