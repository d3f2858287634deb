# Starts one bundled script against the simulated Exchange: what powershell.exe -File does on the
# management host, with SimExchange imported first (it stands in for the snap-in and for the remote
# session) and strict mode on, so a script that reads a property the real objects lack fails here.
# The script runs unchanged; its request arrives on stdin as usual and its exit code is passed on.
# A plan step (run-step.ps1) is first counted against the lab's fail-run switch (SimLab
# Enter-SimStep): its request is read here and handed on to the script unchanged.
param([Parameter(Mandatory = $true)][string]$Script)
Set-StrictMode -Version Latest
Import-Module SimExchange -Global -DisableNameChecking
if ([System.IO.Path]::GetFileName($Script) -eq 'run-step.ps1') {
    $text = [Console]::In.ReadToEnd()
    [Console]::SetIn((New-Object System.IO.StringReader $text))
    $step = $null
    try { $step = (ConvertFrom-Json -InputObject $text).step } catch { $step = $null }
    if ($null -ne $step -and $step.PSObject.Properties['kind'] -and $step.PSObject.Properties['server']) {
        & (Get-Module SimExchange) { param($Server, $Kind) Enter-SimStep $Server $Kind } ([string]$step.server) ([string]$step.kind)
    }
}
& $Script
exit $LASTEXITCODE
