#!/usr/bin/env bash
# Copies the dashboard's vendored library into the server's embedded files, from the version pinned here.
#
#   tools/dashboard-vendor/update.sh
#
# To move to another version: change "lightweight-charts" in package.json, run `npm install` here (it rewrites
# package-lock.json), then this script, and commit all four changes together (package.json, package-lock.json and
# the copied library with its license). The copies are committed so that building and running the server need
# neither npm nor the network, and the page loads nothing from a CDN.
set -euo pipefail
cd "$(dirname "$0")"

dashboard=../../feed-server/Session/Dashboard
npm ci --no-audit --no-fund --loglevel=error

package=node_modules/lightweight-charts
version=$(node -p "require('./$package/package.json').version")
pinned=$(node -p "require('./package.json').dependencies['lightweight-charts']")
if [ "$version" != "$pinned" ]; then
  echo "installed lightweight-charts $version is not the pinned $pinned: run npm install first" >&2
  exit 1
fi

cp "$package/dist/lightweight-charts.standalone.production.js" "$dashboard/lightweight-charts.standalone.production.js"
cp "$package/LICENSE" "$dashboard/lightweight-charts.LICENSE.txt"
fancy=$(node -p "require('./node_modules/fancy-canvas/package.json').version")
sed -e "s/@LWC_VERSION@/$version/g" -e "s/@FANCY_CANVAS_VERSION@/$fancy/g" NOTICE.template > "$dashboard/lightweight-charts.NOTICE.txt"
echo "copied lightweight-charts $version (with fancy-canvas $fancy bundled) into feed-server/Session/Dashboard/"
