# Starts one bundled script against the simulated Exchange: what powershell.exe -File does on the
# management host, with SimExchange imported first (it stands in for the snap-in and for the remote
# session) and strict mode on, so a script that reads a property the real objects lack fails here.
# The script runs unchanged; its request arrives on stdin as usual and its exit code is passed on.
param([Parameter(Mandatory = $true)][string]$Script)
Set-StrictMode -Version Latest
Import-Module SimExchange -Global -DisableNameChecking
& $Script
exit $LASTEXITCODE
