# collect-state.ps1: the EEMS state of the requested Exchange servers, as the state file of
# contracts.md ("The state file"), printed as one JSON envelope.
#
# RUN HERE under PowerShell 7.6.10 with Set-StrictMode -Version Latest, against a simulated Exchange
# built from real Export-Clixml captures (test/engine/host-conformance.test.ts). NOT RUN by the tests
# on Windows PowerShell 5.1 with a real Exchange: only parsed for 5.1 syntax there.
#
# Started by EEMS Watch as
#   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File collect-state.ps1
# with the request as JSON on stdin:
#   { mode: 'local'|'remote', connectionUris: [..], authentication, servers: ['EX01', ..],
#     options: { appPools: [..], services: [..], rewriteLocations: [..], auditDays: 7 } }
# Prints {"ok":true,"result":<state document>} or {"ok":false,"error":"<sentence>"}.
# A server that cannot be read gets its own Error; the others are still reported.

. (Join-Path $PSScriptRoot 'eems-common.ps1')

# Runs ON each Exchange server (Invoke-Command). Data comes in only through the parameters.
$onServer = {
    param([string[]]$AppPools, [string[]]$Services, [string[]]$Locations)
    $ErrorActionPreference = 'Stop'
    $out = @{ ExSetupVersion = $null; ExchangeInstallPath = $null; Service = $null; AppPools = @(); Services = @(); RewriteRules = @() }

    # Where Exchange is installed on this server (K10: often not C:); the Mitigation Service log is
    # in its Logging\MitigationService folder. Setup sets the variable; the registry is the fallback.
    $setupKey = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\Setup' -ErrorAction SilentlyContinue
    $msiInstallPath = if ($setupKey -and $setupKey.PSObject.Properties['MsiInstallPath']) { [string]$setupKey.MsiInstallPath } else { '' }
    if ($env:ExchangeInstallPath) { $out.ExchangeInstallPath = [string]$env:ExchangeInstallPath } elseif ($msiInstallPath) { $out.ExchangeInstallPath = $msiInstallPath }

    # ExSetup.exe's FileVersion is the only source of the SU level (AdminDisplayVersion shows the CU).
    # Setup puts its Bin folder on PATH; else the install path from the environment or the registry.
    # Missing stays $null (the CU from AdminDisplayVersion is then all that is known).
    $command = Get-Command ExSetup.exe -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($command) { $out.ExSetupVersion = [string]$command.FileVersionInfo.FileVersion }
    if (-not $out.ExSetupVersion) {
        $roots = @([string]$env:ExchangeInstallPath, $msiInstallPath)
        foreach ($root in $roots) {
            if (-not $root) { continue }
            $exsetup = Join-Path $root 'Bin\ExSetup.exe'
            if (Test-Path -LiteralPath $exsetup) { $out.ExSetupVersion = [string](Get-Item -LiteralPath $exsetup).VersionInfo.FileVersion; break }
        }
    }

    $em = Get-Service -Name 'MSExchangeMitigation' -ErrorAction SilentlyContinue
    if ($em) { $out.Service = @{ Status = [string]$em.Status; StartType = [string]$em.StartType } }
    foreach ($name in $Services) {
        $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($svc) { $out.Services += @{ Name = [string]$svc.Name; Status = [string]$svc.Status; StartType = [string]$svc.StartType } }
    }

    Import-Module WebAdministration
    foreach ($name in $AppPools) {
        # A pool that does not exist is left out (try: whether the error is terminating is not documented).
        $pool = $null
        try { $pool = Get-WebAppPoolState -Name $name -ErrorAction SilentlyContinue } catch { }
        if ($pool) { $out.AppPools += @{ Name = $name; State = [string]$pool.Value } }
    }

    # The config files are read as XML, not through the merged IIS view: the merged view shows a
    # site's rules again under every vDir and hides which file holds a rule (needed for removal).
    $sections = @(
        @{ Path = 'system.webServer/rewrite/globalRules/rule'; Direction = 'inbound' },
        @{ Path = 'system.webServer/rewrite/rules/rule'; Direction = 'inbound' },
        @{ Path = 'system.webServer/rewrite/outboundRules/rule'; Direction = 'outbound' },
        @{ Path = 'system.webServer/rewrite/outboundRules/preConditions/preCondition'; Direction = 'precondition' }
    )
    # Every rule is reported, with what it does (eems-domain.md K7): a mitigation applied by EOMT or
    # by hand is recognised by its behaviour where its name differs; deciding which rules are
    # mitigation artefacts is the host's job, not this script's.
    function Get-EemsAttribute($Node, [string]$Name) {
        if ($null -eq $Node -or -not $Node.HasAttribute($Name)) { return $null }
        return [string]$Node.GetAttribute($Name)
    }
    function Find-EemsRules($Node, [string]$Location, [string]$ConfigFile) {
        foreach ($section in $sections) {
            foreach ($rule in @($Node.SelectNodes($section.Path))) {
                $match = $rule.SelectSingleNode('match')
                $action = $rule.SelectSingleNode('action')
                $conditionPath = if ($section.Direction -eq 'precondition') { 'add' } else { 'conditions/add' }
                $conditions = @(foreach ($c in @($rule.SelectNodes($conditionPath))) { @{ Input = [string]$c.GetAttribute('input'); Pattern = [string]$c.GetAttribute('pattern') } })
                @{
                    Name = [string]$rule.GetAttribute('name'); Direction = $section.Direction; Location = $Location; ConfigFile = $ConfigFile
                    Enabled = ((Get-EemsAttribute $rule 'enabled') -ne 'false')
                    PreCondition = (Get-EemsAttribute $rule 'preCondition')
                    Match = $(if ($match) { @{ ServerVariable = (Get-EemsAttribute $match 'serverVariable'); Url = (Get-EemsAttribute $match 'url'); Pattern = (Get-EemsAttribute $match 'pattern') } } else { $null })
                    Conditions = $conditions
                    Action = $(if ($action) { @{ Type = [string]$action.GetAttribute('type'); Value = (Get-EemsAttribute $action 'value') } } else { $null })
                }
            }
        }
    }
    # -Encoding UTF8: IIS writes UTF-8, and 5.1 would read a file without a BOM as ANSI.
    $apphost = [xml](Get-Content -LiteralPath (Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config') -Raw -Encoding UTF8)
    $out.RewriteRules += @(Find-EemsRules $apphost.DocumentElement 'Server' 'applicationHost.config')
    foreach ($location in @($apphost.SelectNodes('/configuration/location'))) {
        $path = [string]$location.GetAttribute('path')
        if ($path -eq '') { $path = 'Server' }
        $out.RewriteRules += @(Find-EemsRules $location $path 'applicationHost.config')
    }
    $seen = @{}
    foreach ($location in $Locations) {
        # A location this server does not have (no such vDir) is skipped, not an error.
        $file = $null
        try { $file = Get-WebConfigFile -PSPath ('IIS:\Sites\' + ($location -replace '/', '\')) -ErrorAction SilentlyContinue } catch { }
        # Get-WebConfigFile names the closest web.config: a vDir without its own repeats its parent's.
        if (-not $file -or -not (Test-Path -LiteralPath $file.FullName) -or $seen.ContainsKey($file.FullName)) { continue }
        $seen[$file.FullName] = $true
        $config = [xml](Get-Content -LiteralPath $file.FullName -Raw -Encoding UTF8)
        $out.RewriteRules += @(Find-EemsRules $config.DocumentElement $location 'web.config')
    }
    return $out
}

# A rule as it came back over remoting, rebuilt from known fields only (strings, or null).
function ConvertTo-EemsRewriteRule($Rule) {
    $text = { param($v) if ($null -eq $v) { $null } else { [string]$v } }
    $out = [ordered]@{ Name = [string]$Rule.Name; Direction = [string]$Rule.Direction; Location = [string]$Rule.Location; ConfigFile = [string]$Rule.ConfigFile }
    $out.Enabled = [bool]$Rule.Enabled
    $out.PreCondition = & $text $Rule.PreCondition
    $out.Match = if ($Rule.Match) { [ordered]@{ ServerVariable = & $text $Rule.Match.ServerVariable; Url = & $text $Rule.Match.Url; Pattern = & $text $Rule.Match.Pattern } } else { $null }
    $out.Conditions = @(foreach ($c in @($Rule.Conditions)) { if ($c) { [ordered]@{ Input = [string]$c.Input; Pattern = [string]$c.Pattern } } })
    $out.Action = if ($Rule.Action) { [ordered]@{ Type = [string]$Rule.Action.Type; Value = & $text $Rule.Action.Value } } else { $null }
    return $out
}

function Get-EemsAuditEntries([int]$Days) {
    $list = New-Object System.Collections.ArrayList
    if ($Days -le 0) { return , $list }
    try {
        # MitigationsApplied: the entries EEMS itself writes when it applies a mitigation (K10).
        $entries = Search-AdminAuditLog -Cmdlets 'Set-OrganizationConfig', 'Set-ExchangeServer' -Parameters 'MitigationsEnabled', 'MitigationsBlocked', 'MitigationsApplied' -StartDate (Get-Date).AddDays(-$Days) -EndDate (Get-Date) -ErrorAction Stop
        foreach ($entry in @($entries)) {
            if (-not $entry) { continue }
            $parameters = @{}
            foreach ($p in @($entry.CmdletParameters)) { if ($p) { $parameters[[string]$p.Name] = [string]$p.Value } }
            [void]$list.Add([ordered]@{
                    Caller = [string]$entry.Caller; CmdletName = [string]$entry.CmdletName; ObjectModified = [string]$entry.ObjectModified
                    Parameters = $parameters; RunDate = [string](Format-EemsUtcTime $entry.RunDate)
                })
        }
    } catch {
        # Optional: not every admin may read the admin audit log. The state is still complete without it.
    }
    return , $list
}

function Get-EemsServerState([string]$Name, $Options, $Audit) {
    $state = [ordered]@{ Name = $Name; MitigationsApplied = @(); MitigationsBlocked = @(); RewriteRules = @(); AppPools = @(); Services = @(); Error = $null }
    try {
        $null = Assert-EemsName $Name $script:ServerNamePattern 'server name'
        $server = Get-ExchangeServer -Identity $Name -ErrorAction Stop
        $state.Name = [string]$server.Name
        $state.Fqdn = [string]$server.Fqdn
        # A ServerVersion locally, its deserialised form over remoting: both give "Version 15.2 (Build 1748.10)".
        $state.AdminDisplayVersion = if ($null -eq $server.AdminDisplayVersion) { $null } else { $server.AdminDisplayVersion.ToString() }
        $state.MitigationsEnabled = if ($null -eq $server.MitigationsEnabled) { $null } else { [bool]$server.MitigationsEnabled }
        $state.MitigationsApplied = ConvertTo-EemsStringList $server.MitigationsApplied
        $state.MitigationsBlocked = ConvertTo-EemsStringList $server.MitigationsBlocked
        $state.DataCollectionEnabled = if ($null -eq $server.DataCollectionEnabled) { $null } else { [bool]$server.DataCollectionEnabled }
        $state.InternetWebProxy = ConvertTo-EemsUriText (Get-EemsField $server 'InternetWebProxy')
        # On current builds only (K10); the capture of a 2019 CU11 server has no such property.
        $state.MitigationsAppliedTime = Format-EemsUtcTime (Get-EemsField $server 'MitigationsAppliedTime')
        # Organisation-wide changes concern every server, so each server carries them too.
        $state.AuditEntries = @($Audit | Where-Object { $_.CmdletName -eq 'Set-OrganizationConfig' -or (($_.ObjectModified -split '[\\/]')[-1] -eq $state.Name) })
    } catch {
        $state.Error = "Get-ExchangeServer $Name failed: $($_.Exception.Message)"
        return $state
    }
    try {
        $arguments = @(
            (ConvertTo-EemsStringList $Options.appPools), (ConvertTo-EemsStringList $Options.services),
            (ConvertTo-EemsStringList $Options.rewriteLocations)
        )
        $remote = Invoke-EemsOnServer $state.Fqdn $onServer $arguments
        $state.ExSetupVersion = if ($remote.ExSetupVersion) { [string]$remote.ExSetupVersion } else { $null }
        $installPath = Get-EemsField $remote 'ExchangeInstallPath'
        $state.ExchangeInstallPath = if ($installPath) { [string]$installPath } else { $null }
        $state.Service = if ($remote.Service) { [ordered]@{ Status = [string]$remote.Service.Status; StartType = [string]$remote.Service.StartType } } else { $null }
        $state.RewriteRules = @(foreach ($r in @($remote.RewriteRules)) { if ($r) { ConvertTo-EemsRewriteRule $r } })
        $state.AppPools = @(foreach ($p in @($remote.AppPools)) { if ($p) { [ordered]@{ Name = [string]$p.Name; State = [string]$p.State } } })
        $state.Services = @(foreach ($s in @($remote.Services)) { if ($s) { [ordered]@{ Name = [string]$s.Name; Status = [string]$s.Status; StartType = [string]$s.StartType } } })
    } catch {
        $state.Error = "$Name answered Get-ExchangeServer, but its own data (ExSetup version, service, IIS) could not be read over WinRM: $($_.Exception.Message) Check that Test-WSMan $($state.Fqdn) works from this computer."
    }
    return $state
}

$session = $null
try {
    $request = Read-EemsRequest
    $session = Connect-EemsExchange $request
    $org = Get-OrganizationConfig -ErrorAction Stop
    $audit = Get-EemsAuditEntries ([int]$request.options.auditDays)
    $servers = New-Object System.Collections.ArrayList
    foreach ($name in @($request.servers)) { [void]$servers.Add((Get-EemsServerState ([string]$name) $request.options $audit)) }
    $result = [ordered]@{
        collectedAt  = Format-EemsUtcTime (Get-Date)
        organization = [ordered]@{
            MitigationsEnabled = $(if ($null -eq $org.MitigationsEnabled) { $null } else { [bool]$org.MitigationsEnabled })
            AuditEntries       = @($audit | Where-Object { $_.CmdletName -eq 'Set-OrganizationConfig' })
        }
        servers      = $servers
    }
    Write-EemsEnvelope @{ ok = $true; result = $result }
} catch {
    Write-EemsEnvelope @{ ok = $false; error = "The collection failed before any server was read: $($_.Exception.Message)" }
} finally {
    Disconnect-EemsExchange $session
}
exit $script:EemsExitCode
