# run-with-shim.ps1: TEST ONLY. What the test's stand-in for powershell.exe starts: loads
# EemsEndpointShim.psm1, turns on StrictMode (the bundled scripts must run under it), then runs the
# bundled script unchanged. The request on stdin stays there for the script: nothing here reads it.
param([Parameter(Mandatory = $true)][string]$Script)
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'EemsEndpointShim.psm1') -Global
& $Script
exit $LASTEXITCODE
