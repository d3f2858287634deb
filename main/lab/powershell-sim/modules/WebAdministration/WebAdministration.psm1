# WebAdministration, simulated: the four cmdlets the bundled scripts use, acting on the real XML
# files SimExchange wrote for the server (the real applicationHost.config and OWA web.config with
# the lab's rules inserted), under $env:windir and the server's folder. A removal edits the file
# itself and tells the lab; the backup the script makes is a real copy of the real file.
# Test code only (PowerShell 7, Linux). On Windows the real module goes through IIS's configuration
# system (which also resolves inheritance and <location> tags we only approximate here).

Import-Module (Join-Path $PSScriptRoot '../SimLab/SimLab.psm1')

function Get-SimServerRootHere { Split-Path -Parent $env:windir }

# A file of the server's folder as the server names it (C:\..., Exchange's files under its install path).
function ConvertTo-SimWindowsPath([string]$File) {
    $relative = $File.Substring((Get-SimServerRootHere).Length).TrimStart('/', '\') -replace '/', '\'
    if ($relative -like 'Exchange Server\V15\*') {
        $install = if ($env:ExchangeInstallPath) { $env:ExchangeInstallPath } else { 'C:\Program Files\Microsoft\Exchange Server\V15\' }
        return $install.TrimEnd('\') + '\' + $relative.Substring('Exchange Server\V15\'.Length)
    }
    return 'C:\' + $relative
}

function Get-WebAppPoolState {
    [CmdletBinding()]
    param([string]$Name)
    $s = (Find-SimServer $env:EEMS_SIM_SERVER).State
    foreach ($p in @($s.AppPools | Where-Object { $_ })) { if ($p.Name -ieq $Name) { return [pscustomobject]@{ Value = [string]$p.State } } }
    $PSCmdlet.WriteError((New-Object System.Management.Automation.ErrorRecord ((New-Object System.ArgumentException "Cannot find path 'IIS:\AppPools\$Name' because it does not exist."), 'PathNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $Name)))
}

function Start-WebAppPool {
    [CmdletBinding()]
    param([string]$Name)
    Stop-SimStepFault $PSCmdlet 'write' 'The service cannot accept control messages at this time. (Exception from HRESULT: 0x80070425)' 'InvalidOperation,Microsoft.IIs.PowerShell.Provider.StartAppPoolCommand' 'InvalidOperation'
    Invoke-SimLabApply @{ op = 'start-app-pool'; server = $env:EEMS_SIM_SERVER; name = $Name }
}

function Get-WebConfigFile {
    [CmdletBinding()]
    param([string]$PSPath)
    if ($PSPath -notmatch '^IIS:\\Sites\\(.+)$') { throw "Get-WebConfigFile: the path $PSPath is not an IIS site path." }
    return [System.IO.FileInfo]::new((Get-SimWebConfigPath (Get-SimServerRootHere) ($Matches[1] -replace '\\', '/')))
}

function Remove-WebConfigurationProperty {
    [CmdletBinding()]
    param([string]$PSPath, [string]$Filter, [string]$Name, [hashtable]$AtElement, [string]$Location)
    if ($Name -ne '.' -or -not $AtElement -or -not $AtElement.ContainsKey('name')) { throw 'The simulated Remove-WebConfigurationProperty removes collection elements only (-Name . -AtElement @{name=...}).' }
    if ($PSPath -eq 'MACHINE/WEBROOT/APPHOST') {
        $file = Join-Path $env:windir 'System32/inetsrv/config/applicationHost.config'
        $configFile = 'applicationHost.config'
        $where = if ($Location) { $Location } else { 'Server' }
    } elseif ($PSPath -like 'MACHINE/WEBROOT/APPHOST/*') {
        $where = $PSPath.Substring('MACHINE/WEBROOT/APPHOST/'.Length)
        $file = Get-SimWebConfigPath (Get-SimServerRootHere) $where
        $configFile = 'web.config'
    } else { throw "Remove-WebConfigurationProperty: unknown configuration path $PSPath." }
    $xml = [xml](Get-Content -LiteralPath $file -Raw -Encoding UTF8)
    $scope = $xml.DocumentElement
    if ($configFile -eq 'applicationHost.config' -and $Location) {
        $scope = @($xml.SelectNodes('/configuration/location') | Where-Object { $_.GetAttribute('path') -eq $Location })[0]
        if (-not $scope) { return }
    }
    $section = $scope.SelectSingleNode($Filter)
    if (-not $section) { return }
    $target = @($section.ChildNodes | Where-Object { $_ -is [System.Xml.XmlElement] -and $_.GetAttribute('name') -eq [string]$AtElement.name })[0]
    if (-not $target) { return }
    # IIS's own words when the file cannot be written (the lab's fail-run switch, SimLab Enter-SimStep): the file stays as it was.
    Stop-SimStepFault $PSCmdlet 'write' "Filename: \\?\$(ConvertTo-SimWindowsPath $file) Error: Cannot write configuration file" 'System.Runtime.InteropServices.COMException,Microsoft.IIs.PowerShell.Provider.RemoveConfigurationPropertyCommand'
    [void]$section.RemoveChild($target)
    Save-SimXml $xml $file
    Invoke-SimLabApply @{ op = 'remove-rule'; server = $env:EEMS_SIM_SERVER; name = [string]$AtElement.name; location = $where; configFile = $configFile }
}

Export-ModuleMember -Function Get-WebAppPoolState, Start-WebAppPool, Get-WebConfigFile, Remove-WebConfigurationProperty
