#!/usr/bin/env bash
# Builds socagent in release mode (the first build takes ~14 minutes on 2 cores) and installs the binary in
# $PREFIX/bin (default: ~/.local/bin). Usage: scripts/install.sh, or PREFIX=/usr/local scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${PREFIX:-$HOME/.local}"
echo "building socagent (release; the first build takes several minutes)..." >&2
swift build -c release --product socagent >&2
bin_path="$(swift build -c release --show-bin-path)"
mkdir -p "$prefix/bin"
install -m 0755 "$bin_path/socagent" "$prefix/bin/socagent"
# The resource bundles (Sigma field mappings, the board's templates, the OpenAPI document) sit beside the binary,
# where it looks for them first; without them it would read them from this build folder, if it still exists.
for bundle in "$bin_path"/socagent_*.resources; do
    rm -rf "$prefix/bin/$(basename "$bundle")"
    cp -R "$bundle" "$prefix/bin/"
done
echo "installed $prefix/bin/socagent ($("$prefix/bin/socagent" --version))" >&2
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH; add it, e.g.: export PATH=\"$prefix/bin:\$PATH\"" >&2 ;;
esac
