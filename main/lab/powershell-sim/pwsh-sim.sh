#!/bin/sh
# Stands in for powershell.exe in the tests: takes the host's fixed arguments
# (-NoProfile -NonInteractive -ExecutionPolicy Bypass -File SCRIPT) and runs SCRIPT under PowerShell 7
# through sim-entry.ps1. The EEMS_SIM_* variables (lab folder, fixtures, node) come from the test.
here=$(dirname "$0")
script=
while [ $# -gt 0 ]; do
  case "$1" in
    -File) script="$2"; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$script" ] || { echo "pwsh-sim: no -File argument" >&2; exit 64; }
PSModulePath="$here/modules${PSModulePath:+:$PSModulePath}" exec "${EEMS_SIM_PWSH:-pwsh}" -NoProfile -NonInteractive -File "$here/sim-entry.ps1" -Script "$script"
