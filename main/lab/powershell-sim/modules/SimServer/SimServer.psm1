# SimServer: what a simulated Exchange server answers inside Invoke-Command (EEMS_SIM_SERVER names
# it): Get-Service / Start-Service / Set-Service, Get-WinEvent over the lab's event file, ExSetup.exe's
# FileVersionInfo (the real capture, patched) through Get-Command, and the lab's clock in Get-Date.
# The WebAdministration cmdlets are the module of that name beside this one.
#
# Get-WinEvent understands exactly the XPath read-events.ps1 builds (the provider clause, the
# RecordID bookmark, an optional Computer); any other filter is refused, so a change to the script's
# query fails here instead of silently matching everything. Test code only (PowerShell 7, Linux).

Import-Module (Join-Path $PSScriptRoot '../SimLab/SimLab.psm1')

function Get-SimCurrentServer {
    $found = Find-SimServer $env:EEMS_SIM_SERVER
    if (-not $found) { throw "The simulated server $($env:EEMS_SIM_SERVER) is not in the lab." }
    return $found
}

function Get-Date {
    if ($args.Count -eq 0) { return (Get-SimNow).ToLocalTime() }
    Microsoft.PowerShell.Utility\Get-Date @args
}

function Get-Command {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string[]]$Name, [string]$CommandType, [Parameter(ValueFromRemainingArguments = $true)]$Rest)
    if (@($Name).Count -eq 1 -and $Name[0] -ieq 'ExSetup.exe') {
        $s = (Get-SimCurrentServer).State
        $version = if ($s.PSObject.Properties['ExSetupVersion']) { [string]$s.ExSetupVersion } else { '' }
        if (-not $version) { return }
        $info = New-SimCaptureObject 'E19-ExSetup.xml' ([ordered]@{ FileVersion = $version; ProductVersion = $version }) ''
        return [pscustomobject]@{ Name = 'ExSetup.exe'; CommandType = 'Application'; FileVersionInfo = $info }
    }
    $pass = @{}
    foreach ($k in $PSBoundParameters.Keys) { if ($k -ne 'Rest') { $pass[$k] = $PSBoundParameters[$k] } }
    Microsoft.PowerShell.Core\Get-Command @pass
}

function Find-SimService([string]$Name) {
    $s = (Get-SimCurrentServer).State
    if ($Name -ieq 'MSExchangeMitigation') {
        if (-not $s.Service) { return $null }
        return @{ Name = 'MSExchangeMitigation'; Status = [string]$s.Service.Status; StartType = [string]$s.Service.StartType }
    }
    foreach ($svc in @($s.Services | Where-Object { $_ })) { if ($svc.Name -ieq $Name) { return @{ Name = [string]$svc.Name; Status = [string]$svc.Status; StartType = [string]$svc.StartType } } }
    return $null
}

function Write-SimNotFound([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Name) {
    $record = New-Object System.Management.Automation.ErrorRecord ((New-Object System.InvalidOperationException "Cannot find any service with service name '$Name'."), 'NoServiceFoundForGivenName', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $Name)
    $Cmdlet.WriteError($record)
}

function Get-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Name)
    Write-SimCall "Get-Service $Name on $($env:EEMS_SIM_SERVER)"
    $svc = Find-SimService $Name
    if (-not $svc) { Write-SimNotFound $PSCmdlet $Name; return }
    $out = [pscustomobject]$svc
    $out.PSObject.TypeNames.Insert(0, 'System.ServiceProcess.ServiceController')
    return $out
}

function Start-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Name)
    $svc = Find-SimService $Name
    if (-not $svc) { Write-SimNotFound $PSCmdlet $Name; return }
    if ($svc.StartType -eq 'Disabled') {
        $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ((New-Object System.InvalidOperationException "Service '$Name ($Name)' cannot be started due to the following error: Cannot start service $Name on computer '.'."), 'CouldNotStartService', [System.Management.Automation.ErrorCategory]::OpenError, $Name)))
    }
    Stop-SimStepFault $PSCmdlet 'write' "Service '$Name ($Name)' cannot be started due to the following error: Cannot start service $Name on computer '.'." 'CouldNotStartService' 'OpenError'
    Invoke-SimLabApply @{ op = 'start-service'; server = $env:EEMS_SIM_SERVER; name = [string]$svc.Name }
}

function Set-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Name, [ValidateSet('Automatic', 'Manual', 'Disabled', 'AutomaticDelayedStart')][string]$StartupType)
    $svc = Find-SimService $Name
    if (-not $svc) { Write-SimNotFound $PSCmdlet $Name; return }
    Stop-SimStepFault $PSCmdlet 'write' "Service '$Name ($Name)' cannot be configured due to the following error: Access is denied" 'CouldNotSetService' 'PermissionDenied'
    Invoke-SimLabApply @{ op = 'set-service'; server = $env:EEMS_SIM_SERVER; name = [string]$svc.Name; startType = $StartupType }
}

$script:Levels = @{ Critical = 1; Error = 2; Warning = 3; Information = 4; Verbose = 5 }
$script:ProviderClause = "(Provider[@Name='MSExchange Mitigation Service'] or (Provider[@Name='MSExchange Common'] and EventID=4999))"

function Get-WinEvent {
    [CmdletBinding()]
    param([string]$LogName, [string]$FilterXPath, [long]$MaxEvents = [long]::MaxValue, [switch]$Oldest)
    Write-SimCall "Get-WinEvent $LogName on $($env:EEMS_SIM_SERVER): $FilterXPath"
    $pattern = '^\*\[System\[' + [regex]::Escape($script:ProviderClause) + " and EventRecordID > (\d+)(?: and Computer='([A-Za-z0-9.-]+)')?\]\]$"
    $m = [regex]::Match($FilterXPath, $pattern)
    if (-not $m.Success) { throw "The simulated event log does not understand the filter $FilterXPath" }
    $since = [long]$m.Groups[1].Value
    $computer = $m.Groups[2].Value
    $lab = Get-SimLabDir
    $files = if ($LogName -eq 'ForwardedEvents') { @((Get-SimLabDocument).servers | ForEach-Object { Join-Path $lab "servers/$($_.name)/events.jsonl" }) }
    elseif ($LogName -eq 'Application') { @(Join-Path $lab "servers/$((Get-SimCurrentServer).State.Name)/events.jsonl") }
    else { throw "There is no event log named $LogName on this computer." }
    $found = New-Object System.Collections.ArrayList
    foreach ($file in $files) {
        if (-not (Test-Path -LiteralPath $file)) { continue }
        foreach ($line in [System.IO.File]::ReadAllLines($file)) {
            if (-not $line.Trim()) { continue }
            $e = $line | ConvertFrom-Json -DateKind String
            if ([long]$e.recordId -le $since) { continue }
            if ($computer -and [string]$e.machine -ine $computer) { continue }
            $time = [datetime]::Parse($e.time, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AdjustToUniversal)
            $properties = @(if ($e.PSObject.Properties['data']) { foreach ($d in @($e.data)) { [pscustomobject]@{ Value = [string]$d } } })
            $record = [pscustomobject]@{
                RecordId = [long]$e.recordId; Id = [int]$e.eventId; Level = [byte]$script:Levels[[string]$e.level]; TimeCreated = $time.ToLocalTime()
                MachineName = [string]$e.machine; ProviderName = [string]$e.provider; Message = [string]$e.message; Properties = $properties
            }
            $record.PSObject.TypeNames.Insert(0, 'System.Diagnostics.Eventing.Reader.EventLogRecord')
            [void]$found.Add($record)
        }
    }
    if ($found.Count -eq 0) {
        $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ((New-Object System.Exception 'No events were found that match the specified selection criteria.'), 'NoMatchingEventsFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null)))
    }
    # -Oldest reads from the start of the log; without it the newest come first.
    $ordered = @($found | Sort-Object RecordId -Descending:(-not $Oldest))
    $ordered | Select-Object -First ([int][math]::Min($MaxEvents, [int]::MaxValue))
}

Export-ModuleMember -Function Get-Date, Get-Command, Get-Service, Start-Service, Set-Service, Get-WinEvent
