#!/usr/bin/env bash
# Regenerates pricefeed_client/pricefeed_v1_pb2.py from proto/pricefeed.v1.proto.
#
# Use protoc 3.21 (Debian bookworm: apt-get install protobuf-compiler): its output imports cleanly
# with every protobuf runtime from 3.20 on (Debian's python3-protobuf 3.21 and today's pip releases).
# A newer protoc (e.g. the one inside the Grpc.Tools NuGet package) writes a runtime version check
# that Debian's python3-protobuf fails. Pass another compiler as PROTOC=/path/to/protoc.
#
# The file is copied as pricefeed_v1.proto first: protoc names Python modules after the file, and the
# dot in pricefeed.v1.proto would otherwise give a package directory pricefeed/v1_pb2.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
protoc="${PROTOC:-protoc}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/../../proto/pricefeed.v1.proto" "$work/pricefeed_v1.proto"
"$protoc" --proto_path="$work" --python_out="$here/pricefeed_client" "$work/pricefeed_v1.proto"
echo "wrote $here/pricefeed_client/pricefeed_v1_pb2.py with $("$protoc" --version)"
