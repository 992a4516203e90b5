#!/usr/bin/env bash
# Builds socagent in release mode (the first build takes ~14 minutes on 2 cores) and installs the binary in
# $PREFIX/bin (default: ~/.local/bin). Usage: scripts/install.sh, or PREFIX=/usr/local scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${PREFIX:-$HOME/.local}"
echo "building socagent (release; the first build takes several minutes)..." >&2
swift build -c release --product socagent >&2
binary="$(swift build -c release --show-bin-path)/socagent"
mkdir -p "$prefix/bin"
install -m 0755 "$binary" "$prefix/bin/socagent"
echo "installed $prefix/bin/socagent ($("$prefix/bin/socagent" --version))" >&2
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH; add it, e.g.: export PATH=\"$prefix/bin:\$PATH\"" >&2 ;;
esac
