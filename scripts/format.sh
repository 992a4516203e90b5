#!/usr/bin/env bash
# Formats the sources in place with the committed .swift-format (CI checks with `swift format lint --strict`).
set -euo pipefail
cd "$(dirname "$0")/.."
swift format format --in-place --recursive --parallel Sources Tests Package.swift
