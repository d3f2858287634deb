# SimExchange: the management host's view of a simulated Exchange organisation, for running the
# bundled scripts unchanged under PowerShell 7 in the tests. It defines the Exchange cmdlets the
# scripts call (as the snap-in or an implicitly remoted session would), the remoting entry points
# (New-PSSession, Import-PSSession, Remove-PSSession, Invoke-Command) and Get-Date (the lab's clock).
# Invoke-Command runs the script block in a fresh runspace with SimServer and WebAdministration, as a
# remote server would: no access to the caller's variables, arguments and results serialised.
#
# Shapes: Get-ExchangeServer and Get-OrganizationConfig are the real Export-Clixml captures with the
# lab's values patched in. Search-AdminAuditLog's objects are INFERRED (no capture): Caller,
# CmdletName, ObjectModified, RunDate and CmdletParameters (Name, Value), as Learn documents them.
# NOT the same as Windows PowerShell 5.1 with real Exchange: see README "What is verified where".

Import-Module (Join-Path $PSScriptRoot '../SimLab/SimLab.psm1')

# The session Import-PSSession imported; writes through anything else are refused (eems-domain.md K8:
# Set-* through the snap-in is not supported by Microsoft).
$script:RemoteSession = $null
$script:ModuleRoot = Split-Path -Parent $PSScriptRoot

# The lab's clock without arguments (the scripts' only use); anything else as the real cmdlet.
function Get-Date {
    if ($args.Count -eq 0) { return (Get-SimNow).ToLocalTime() }
    Microsoft.PowerShell.Utility\Get-Date @args
}

function Stop-SimCall([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Message, [string]$Id, [string]$Category = 'ObjectNotFound') {
    $record = New-Object System.Management.Automation.ErrorRecord ((New-Object System.Management.Automation.RuntimeException $Message), $Id, [System.Management.Automation.ErrorCategory]$Category, $null)
    $Cmdlet.ThrowTerminatingError($record)
}

function ConvertTo-SimExchangeServer($Found) {
    $s = $Found.State
    $get = { param($name) if ($s.PSObject.Properties[$name]) { $s.$name } else { $null } }
    $proxy = & $get 'InternetWebProxy'
    $patch = [ordered]@{
        Name = [string]$s.Name
        Fqdn = [string](& $get 'Fqdn')
        AdminDisplayVersion = @{ Version = [string](& $get 'AdminDisplayVersion') }
        MitigationsEnabled = $(if ($null -eq (& $get 'MitigationsEnabled')) { $null } else { [bool](& $get 'MitigationsEnabled') })
        MitigationsApplied = @{ List = [string[]]@(& $get 'MitigationsApplied') }
        MitigationsBlocked = @{ List = [string[]]@(& $get 'MitigationsBlocked') }
        DataCollectionEnabled = $(if ($null -eq (& $get 'DataCollectionEnabled')) { $null } else { [bool](& $get 'DataCollectionEnabled') })
        InternetWebProxy = $(if ($proxy) { [uri][string]$proxy } else { $null })
    }
    # A DateTime on current builds (the 2016 capture has one; the 2019 CU11 capture has none): the
    # lab's value is patched in the way that capture holds it, <DT N="MitigationsAppliedTime">.
    $appliedTime = & $get 'MitigationsAppliedTime'
    $patch.MitigationsAppliedTime = $(if ($appliedTime) { [datetime]::Parse([string]$appliedTime, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind) } else { $null })
    return New-SimCaptureObject 'E19-GetExchangeServer.xml' $patch ([string]$s.Name)
}

function Get-ExchangeServer {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Identity)
    Write-SimCall "Get-ExchangeServer $Identity"
    Stop-SimStepFault $PSCmdlet 'contact' (Get-SimAdReadText) 'ADTransientException' 'ReadError'
    if (-not $Identity) { foreach ($s in @((Get-SimLabState).servers)) { ConvertTo-SimExchangeServer (Find-SimServer $s.Name) }; return }
    $found = Find-SimServer $Identity
    if (-not $found) { Stop-SimCall $PSCmdlet "The operation couldn't be performed because object '$Identity' couldn't be found on 'dc01.contoso.com'." 'ManagementObjectNotFoundException' }
    ConvertTo-SimExchangeServer $found
}

function Assert-SimRemoteWrite([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$What) {
    if (-not $script:RemoteSession) {
        Stop-SimCall $Cmdlet "$What ran without a remote PowerShell session: writes through the Exchange snap-in are not supported (eems-domain.md K8)." 'SnapInWrite' 'PermissionDenied'
    }
}

function Set-ExchangeServer {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][string]$Identity, [string[]]$MitigationsBlocked, [object]$MitigationsEnabled)
    Assert-SimRemoteWrite $PSCmdlet 'Set-ExchangeServer'
    $found = Find-SimServer $Identity
    if (-not $found) { Stop-SimCall $PSCmdlet "The operation couldn't be performed because object '$Identity' couldn't be found on 'dc01.contoso.com'." 'ManagementObjectNotFoundException' }
    $op = @{ op = 'set-server'; server = [string]$found.State.Name }
    if ($PSBoundParameters.ContainsKey('MitigationsBlocked')) { $op.mitigationsBlocked = [string[]]@($MitigationsBlocked | Where-Object { $_ }) }
    if ($PSBoundParameters.ContainsKey('MitigationsEnabled')) {
        if (-not ($MitigationsEnabled -is [bool])) { Stop-SimCall $PSCmdlet "Cannot process argument transformation on parameter 'MitigationsEnabled'. Cannot convert value '$MitigationsEnabled' to type System.Boolean." 'ParameterArgumentTransformationError' 'InvalidArgument' }
        $op.mitigationsEnabled = [bool]$MitigationsEnabled
    }
    Write-SimCall "Set-ExchangeServer $Identity $(ConvertTo-Json -InputObject $op -Compress)"
    Stop-SimStepFault $PSCmdlet 'write' (Get-SimAdWriteText) 'ADOperationException'
    Invoke-SimLabApply $op
}

function Get-OrganizationConfig {
    [CmdletBinding()]
    param()
    Write-SimCall 'Get-OrganizationConfig'
    Stop-SimStepFault $PSCmdlet 'contact' (Get-SimAdReadText) 'ADTransientException' 'ReadError'
    $org = (Get-SimLabState).organization
    $enabled = if ($org.PSObject.Properties['MitigationsEnabled'] -and $null -ne $org.MitigationsEnabled) { [bool]$org.MitigationsEnabled } else { $null }
    return New-SimCaptureObject 'E19-GetOrganizationConfig.xml' @{ MitigationsEnabled = $enabled } ''
}

function Set-OrganizationConfig {
    [CmdletBinding()]
    param([object]$MitigationsEnabled)
    Assert-SimRemoteWrite $PSCmdlet 'Set-OrganizationConfig'
    if (-not ($MitigationsEnabled -is [bool])) { Stop-SimCall $PSCmdlet "Cannot convert value '$MitigationsEnabled' to type System.Boolean." 'ParameterArgumentTransformationError' 'InvalidArgument' }
    Write-SimCall "Set-OrganizationConfig MitigationsEnabled=$MitigationsEnabled"
    Stop-SimStepFault $PSCmdlet 'write' (Get-SimAdWriteText) 'ADOperationException'
    Invoke-SimLabApply @{ op = 'set-org'; enabled = [bool]$MitigationsEnabled }
}

function Search-AdminAuditLog {
    [CmdletBinding()]
    param([string[]]$Cmdlets, [string[]]$Parameters, [datetime]$StartDate, [datetime]$EndDate)
    Write-SimCall "Search-AdminAuditLog $($Cmdlets -join ',') $($Parameters -join ',')"
    $state = Get-SimLabState
    $all = @()
    if ($state.organization.PSObject.Properties['AuditEntries']) { $all += @($state.organization.AuditEntries) }
    foreach ($s in @($state.servers)) { if ($s.PSObject.Properties['AuditEntries']) { $all += @($s.AuditEntries) } }
    $seen = @{}
    foreach ($e in $all) {
        if (-not $e) { continue }
        $key = ConvertTo-Json -InputObject $e -Depth 5 -Compress
        if ($seen.ContainsKey($key)) { continue }
        $seen[$key] = $true
        $names = @($e.Parameters.PSObject.Properties | ForEach-Object { $_.Name })
        if ($Cmdlets -and $Cmdlets -notcontains $e.CmdletName) { continue }
        if ($Parameters -and -not @($names | Where-Object { $Parameters -contains $_ }).Count) { continue }
        $run = [datetime]::Parse($e.RunDate, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AdjustToUniversal)
        if ($PSBoundParameters.ContainsKey('StartDate') -and $run -lt $StartDate.ToUniversalTime()) { continue }
        if ($PSBoundParameters.ContainsKey('EndDate') -and $run -gt $EndDate.ToUniversalTime()) { continue }
        $params = New-Object System.Collections.ArrayList
        foreach ($p in @($e.Parameters.PSObject.Properties)) {
            $item = [pscustomobject]@{ Name = [string]$p.Name; Value = [string]$p.Value }
            $item.PSObject.TypeNames.Insert(0, 'Microsoft.Exchange.Management.SystemConfigurationTasks.AdminAuditLogCmdletParameter')
            [void]$params.Add($item)
        }
        $entry = [pscustomobject]@{
            Caller = [string]$e.Caller; CmdletName = [string]$e.CmdletName; ObjectModified = [string]$e.ObjectModified
            CmdletParameters = $params; RunDate = $run.ToLocalTime(); Succeeded = $true
        }
        $entry.PSObject.TypeNames.Insert(0, 'Microsoft.Exchange.Management.SystemConfigurationTasks.AdminAuditLogEvent')
        ConvertTo-SimRemoted $entry
    }
}

# pwsh on Linux has no WSMan session options; this one only records what the scripts ask for.
function New-PSSessionOption {
    [CmdletBinding()]
    param([int]$OpenTimeout, [int]$OperationTimeout, [int]$IdleTimeout)
    $option = [pscustomobject]@{ OpenTimeout = [timespan]::FromMilliseconds($OpenTimeout); OperationTimeout = [timespan]::FromMilliseconds($OperationTimeout) }
    $option.PSObject.TypeNames.Insert(0, 'System.Management.Automation.Remoting.PSSessionOption')
    return $option
}

function Add-PSSnapin {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Name)
    Write-SimCall "Add-PSSnapin $Name"
}

function New-PSSession {
    [CmdletBinding()]
    param([string]$ConfigurationName, [uri]$ConnectionUri, [string]$Authentication, [object]$SessionOption)
    Write-SimCall "New-PSSession $ConnectionUri $ConfigurationName $Authentication"
    if ($ConfigurationName -ne 'Microsoft.Exchange') { Stop-SimCall $PSCmdlet "The WS-Management service cannot process the request: no endpoint $ConfigurationName." 'PSSessionOpenFailed' 'OpenError' }
    $found = Find-SimServer $ConnectionUri.Host
    if (-not $found -or $found.Lab.unreachable) { Stop-SimCall $PSCmdlet (Get-SimUnreachableText $ConnectionUri.Host) 'PSSessionOpenFailed' 'OpenError' }
    if ($found.Lab.hung) { Wait-SimHungServer $PSCmdlet $ConnectionUri.Host $SessionOption }
    $session = [pscustomobject]@{ ComputerName = $ConnectionUri.Host; ConfigurationName = $ConfigurationName; State = 'Opened'; Availability = 'Available' }
    $session.PSObject.TypeNames.Insert(0, 'System.Management.Automation.Runspaces.PSSession')
    return $session
}

function Import-PSSession {
    [CmdletBinding()]
    param([object]$Session, [string[]]$CommandName, [switch]$DisableNameChecking, [switch]$AllowClobber)
    Write-SimCall "Import-PSSession $($Session.ComputerName) $($CommandName -join ',')"
    $script:RemoteSession = $Session
    return $ExecutionContext.SessionState.Module
}

function Remove-PSSession {
    [CmdletBinding()]
    param([object]$Session)
    Write-SimCall "Remove-PSSession $($Session.ComputerName)"
    if ($script:RemoteSession -eq $Session) { $script:RemoteSession = $null }
}

# The IIS files of a server, written from the lab's rules into the real captured files.
function Get-SimServerRoot([string]$Name) { Join-Path (Get-SimLabDir) "sim-servers/$Name" }

function Add-SimRuleNode([System.Xml.XmlElement]$Scope, $Rule) {
    $doc = $Scope.OwnerDocument
    $get = { param($o, $n) if ($null -ne $o -and $o.PSObject.Properties[$n]) { $o.$n } else { $null } }
    $ws = $Scope.SelectSingleNode('system.webServer')
    if (-not $ws) { $ws = $Scope.AppendChild($doc.CreateElement('system.webServer')) }
    $rw = $ws.SelectSingleNode('rewrite')
    if (-not $rw) { $rw = $ws.AppendChild($doc.CreateElement('rewrite')) }
    $atTop = $Scope -eq $doc.DocumentElement -and [string]$Rule.ConfigFile -eq 'applicationHost.config'
    $path = switch ([string]$Rule.Direction) {
        'inbound' { if ($atTop) { @('globalRules') } else { @('rules') } }
        'outbound' { @('outboundRules') }
        'precondition' { @('outboundRules', 'preConditions') }
        default { throw "The lab rule '$($Rule.Name)' has direction '$($Rule.Direction)'." }
    }
    $parent = $rw
    foreach ($p in $path) { $next = $parent.SelectSingleNode($p); if (-not $next) { $next = $parent.AppendChild($doc.CreateElement($p)) }; $parent = $next }
    $node = $doc.CreateElement($(if ([string]$Rule.Direction -eq 'precondition') { 'preCondition' } else { 'rule' }))
    $node.SetAttribute('name', [string]$Rule.Name)
    if ((& $get $Rule 'Enabled') -eq $false) { $node.SetAttribute('enabled', 'false') }
    if (& $get $Rule 'PreCondition') { $node.SetAttribute('preCondition', [string]$Rule.PreCondition) }
    $match = & $get $Rule 'Match'
    if ($match) {
        $m = $doc.CreateElement('match')
        foreach ($pair in @(@('ServerVariable', 'serverVariable'), @('Url', 'url'), @('Pattern', 'pattern'))) { $v = & $get $match $pair[0]; if ($null -ne $v) { $m.SetAttribute($pair[1], [string]$v) } }
        [void]$node.AppendChild($m)
    }
    $conditions = @(& $get $Rule 'Conditions' | Where-Object { $_ })
    if ($conditions.Count -gt 0) {
        $holder = if ([string]$Rule.Direction -eq 'precondition') { $node } else { $node.AppendChild($doc.CreateElement('conditions')) }
        foreach ($c in $conditions) { $a = $doc.CreateElement('add'); $a.SetAttribute('input', [string]$c.Input); $a.SetAttribute('pattern', [string]$c.Pattern); [void]$holder.AppendChild($a) }
    }
    $action = & $get $Rule 'Action'
    if ($action) {
        $a = $doc.CreateElement('action'); $a.SetAttribute('type', [string]$action.Type)
        if ($null -ne (& $get $action 'Value')) { $a.SetAttribute('value', [string]$action.Value) }
        [void]$node.AppendChild($a)
    }
    [void]$parent.AppendChild($node)
}

# applicationHost.config and the web.config files of the server, from the real files plus the lab's rules.
function Sync-SimIisFiles($Found) {
    $name = [string]$Found.State.Name
    $root = Get-SimServerRoot $name
    $rules = @($Found.State.RewriteRules | Where-Object { $_ })
    $apphost = [xml](Get-Content -LiteralPath (Join-Path $env:EEMS_SIM_FIXTURES 'iis/E19-applicationHost.config') -Raw -Encoding UTF8)
    foreach ($rule in @($rules | Where-Object { [string]$_.ConfigFile -eq 'applicationHost.config' })) {
        $location = ([string]$rule.Location).Trim('/')
        $scope = $apphost.DocumentElement
        if ($location -and $location -ne 'Server') {
            $scope = @($apphost.SelectNodes('/configuration/location') | Where-Object { $_.GetAttribute('path') -eq $location })[0]
            if (-not $scope) { $scope = $apphost.DocumentElement.AppendChild($apphost.CreateElement('location')); $scope.SetAttribute('path', $location) }
        }
        Add-SimRuleNode $scope $rule
    }
    Save-SimXml $apphost (Join-Path $root 'Windows/System32/inetsrv/config/applicationHost.config')
    $byFile = [ordered]@{ (Get-SimWebConfigPath $root 'Default Web Site/owa') = @() }
    foreach ($rule in @($rules | Where-Object { [string]$_.ConfigFile -ne 'applicationHost.config' })) {
        $file = Get-SimWebConfigPath $root ([string]$rule.Location)
        if (-not $byFile.Contains($file)) { $byFile[$file] = @() }
        $byFile[$file] += $rule
    }
    foreach ($file in @($byFile.Keys)) {
        $template = if ($file -like '*HttpProxy/owa/web.config') { Get-Content -LiteralPath (Join-Path $env:EEMS_SIM_FIXTURES 'iis/E16-DefaultWebSite-OWA-web.config') -Raw -Encoding UTF8 } else { '<?xml version="1.0" encoding="UTF-8"?><configuration><system.webServer /></configuration>' }
        $xml = [xml]$template
        foreach ($rule in @($byFile[$file])) { Add-SimRuleNode $xml.DocumentElement $rule }
        Save-SimXml $xml $file
    }
    return $root
}

function Invoke-Command {
    [CmdletBinding()]
    param([string]$ComputerName, [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @(), [object]$SessionOption)
    Write-SimCall "Invoke-Command $ComputerName"
    $found = Find-SimServer $ComputerName
    if (-not $found -or $found.Lab.unreachable) { Stop-SimCall $PSCmdlet (Get-SimUnreachableText $ComputerName) 'CannotConnect' 'OpenError' }
    if ($found.Lab.hung) { Wait-SimHungServer $PSCmdlet $ComputerName $SessionOption }
    $remoteFailure = "Processing data from remote server $ComputerName failed with the following error message: The WSMan provider host process did not return a proper response.  A provider in the host process may have behaved improperly. For more information, see the about_Remote_Troubleshooting Help topic."
    # A plan step that fails here (the lab's fail-run switch, SimLab Enter-SimStep): before the script block runs, it changes nothing.
    Stop-SimStepFault $PSCmdlet 'contact' $remoteFailure 'JobFailure' 'OperationStopped'
    $root = Sync-SimIisFiles $found
    $env:windir = Join-Path $root 'Windows'
    $env:EEMS_SIM_SERVER = [string]$found.State.Name
    # Setup's environment variable on the server (K10); the lab says where Exchange is installed.
    $installPath = if ($found.State.PSObject.Properties['ExchangeInstallPath']) { [string]$found.State.ExchangeInstallPath } else { '' }
    if ($installPath) { $env:ExchangeInstallPath = $installPath } else { Remove-Item Env:ExchangeInstallPath -ErrorAction SilentlyContinue }
    $ps = [powershell]::Create()
    try {
        [void]$ps.AddScript('Set-StrictMode -Version Latest; $ErrorActionPreference = ''Stop''; Import-Module SimServer -Global').Invoke()
        $ps.Commands.Clear()
        [void]$ps.AddScript($ScriptBlock.ToString())
        foreach ($argument in $ArgumentList) { [void]$ps.AddArgument((ConvertTo-SimRemoted $argument)) }
        try {
            $output = $ps.Invoke()
        } catch {
            $inner = $_.Exception
            while ($inner.InnerException) { $inner = $inner.InnerException }
            Stop-SimCall $PSCmdlet $inner.Message 'RemoteScriptError' 'NotSpecified'
        }
        # A step armed to fail at its write that found nothing to write fails as the call returns (it wrote nothing).
        Stop-SimStepFault $PSCmdlet '' $remoteFailure 'JobFailure' 'OperationStopped'
        foreach ($item in $output) {
            $back = ConvertTo-SimRemoted $item
            if ($back -is [psobject] -or $back -is [hashtable]) {
                # Remoting adds these to every object it hands back.
                $wrapped = [psobject]$back
                $wrapped.PSObject.Properties.Add((New-Object System.Management.Automation.PSNoteProperty 'PSComputerName', $ComputerName))
                $wrapped.PSObject.Properties.Add((New-Object System.Management.Automation.PSNoteProperty 'RunspaceId', ([guid]::NewGuid())))
                $wrapped
            } else { $back }
        }
    } finally {
        $ps.Dispose()
    }
}

Export-ModuleMember -Function New-PSSessionOption, Get-Date, Get-ExchangeServer, Set-ExchangeServer, Get-OrganizationConfig, Set-OrganizationConfig, Search-AdminAuditLog, Add-PSSnapin, New-PSSession, Import-PSSession, Remove-PSSession, Invoke-Command
