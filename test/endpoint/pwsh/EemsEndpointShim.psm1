# EemsEndpointShim.psm1: TEST ONLY, never shipped. The smallest stand-in for what test-endpoint.ps1
# needs from Exchange and WinRM on a Linux test machine that has neither, so the bundled script runs
# unchanged under pwsh 7 against real proxies and real TLS endpoints on 127.0.0.1.
# To be replaced by the simulated Exchange module of test/powershell/ (the PowerShell engineer's) once
# both are merged: it defines the same commands from the lab's organisation.
#
# What it stands in for, and how faithfully:
# - Get-ExchangeServer: the real captured object (test/fixtures/real/clixml/E19-GetExchangeServer.xml,
#   the Deserialized.* object implicit remoting hands back) with Name, Fqdn and InternetWebProxy
#   (a System.Uri, as Exchange returns it) patched from the state file.
# - Invoke-Command: runs a fresh copy of the script block in this process (so, as over WinRM, it sees
#   none of the caller's variables and gets data only through -ArgumentList), under StrictMode, and
#   hands back serialised-then-deserialised copies of what it returns, as remoting does. A computer
#   that is not in the state file fails with WinRM's wording.
# - Get-ItemProperty: the WinHttpSettings registry value from the state file (hex), as netsh winhttp
#   stores it; every other path goes to the real cmdlet.
# - New-PSSessionOption: pwsh on Linux has no -OpenTimeout; the option is accepted and ignored.
# The state file is named by $env:EEMS_ENDPOINT_SHIM:
#   { "servers": { "EX01": { "Fqdn": "ex01.contoso.com", "InternetWebProxy": "http://127.0.0.1:3128/" } },
#     "winHttpSettings": "28000000..." | null }

$script:CapturePath = Join-Path $PSScriptRoot '../../fixtures/real/clixml/E19-GetExchangeServer.xml'

function Read-ShimState {
    return (Get-Content -LiteralPath $env:EEMS_ENDPOINT_SHIM -Raw | ConvertFrom-Json)
}

function Get-ShimServer([string]$Identity) {
    $state = Read-ShimState
    foreach ($property in $state.servers.PSObject.Properties) {
        if ($property.Name -eq $Identity -or $property.Value.Fqdn -eq $Identity) { return $property }
    }
    return $null
}

function New-PSSessionOption {
    [CmdletBinding()]
    param([int]$OpenTimeout, [int]$OperationTimeout)
    return [pscustomobject]@{ OpenTimeout = $OpenTimeout; OperationTimeout = $OperationTimeout }
}

function Get-ExchangeServer {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Identity)
    $entry = Get-ShimServer $Identity
    if ($null -eq $entry) {
        # The wording of Exchange's ManagementObjectNotFoundException.
        throw "The operation couldn't be performed because object '$Identity' couldn't be found on 'dc01.contoso.com'."
    }
    $server = Import-Clixml -LiteralPath $script:CapturePath
    $server.Name = $entry.Name
    $server.Fqdn = [string]$entry.Value.Fqdn
    $proxy = $null
    if ($null -ne $entry.Value.PSObject.Properties['InternetWebProxy'] -and $entry.Value.InternetWebProxy) { $proxy = [System.Uri][string]$entry.Value.InternetWebProxy }
    $server.InternetWebProxy = $proxy
    return $server
}

function Invoke-Command {
    [CmdletBinding()]
    param([string[]]$ComputerName, [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @(), $SessionOption)
    $computer = [string]$ComputerName[0]
    if ($null -eq (Get-ShimServer $computer)) {
        throw "Connecting to remote server $computer failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. For more information, see the about_Remote_Troubleshooting Help topic."
    }
    Set-StrictMode -Version Latest
    $fresh = [scriptblock]::Create($ScriptBlock.ToString())
    $output = & $fresh @ArgumentList
    foreach ($item in @($output)) {
        [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($item, 4))
    }
}

function Get-ItemProperty {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string[]]$Path, [string[]]$LiteralPath, [Parameter(Position = 1)][string[]]$Name)
    $target = @(@($LiteralPath) + @($Path) | Where-Object { $_ }) | Select-Object -First 1
    if ($target -eq 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections') {
        $hex = (Read-ShimState).winHttpSettings
        if (-not $hex) { throw 'Property WinHttpSettings does not exist at path HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections.' }
        [byte[]]$bytes = for ($i = 0; $i -lt $hex.Length; $i += 2) { [Convert]::ToByte($hex.Substring($i, 2), 16) }
        return [pscustomobject]@{ WinHttpSettings = $bytes }
    }
    Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters
}

Export-ModuleMember -Function New-PSSessionOption, Get-ExchangeServer, Invoke-Command, Get-ItemProperty
