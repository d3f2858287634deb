# run-step.ps1: one step of a removal or re-enable plan. Every step is idempotent: run twice, the
# second run finds nothing to do and says so (changed = false).
#
# RUN HERE under PowerShell 7.6.10 with Set-StrictMode -Version Latest, against a simulated Exchange
# built from real Export-Clixml captures (test/engine/host-conformance.test.ts). NOT RUN by the tests
# on Windows PowerShell 5.1 with a real Exchange: only parsed for 5.1 syntax there.
#
# Started by EEMS Watch as
#   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File run-step.ps1
# with the request as JSON on stdin: { mode, connectionUris, authentication, computerName,
#   step: { kind, server, args } } (the args of each kind: main/core/action-steps.ts, stepArgsSchemas;
#   checked by the host before this script starts, and checked again here where they reach a cmdlet).
# Prints {"ok":true,"result":{ok,changed,message,backupPath?}} or {"ok":false,"error":"<sentence>"}.

. (Join-Path $PSScriptRoot 'eems-common.ps1')

$LocationPattern = '^(|[A-Za-z0-9][A-Za-z0-9 ._/-]{0,255})$'
$PoolOrServicePattern = '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$'

# IIS and Windows service steps run ON the server. Data only through the parameters; the rule name
# is free text and is only ever compared or passed as -AtElement data.
$onServer = {
    param([string]$Kind, [string]$Name, [string]$Direction, [string]$Location, [string]$ConfigFile, [string]$StartType)
    $ErrorActionPreference = 'Stop'
    function Get-ConfigPath {
        if ($ConfigFile -eq 'applicationHost.config') { return (Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config') }
        if ($Location -eq '' -or $Location -eq 'Server') { throw 'A web.config step needs the site or vDir (args.location); nothing was run.' }
        return (Get-WebConfigFile -PSPath ('IIS:\Sites\' + ($Location -replace '/', '\')) -ErrorAction Stop).FullName
    }
    # Looks in the file itself: the merged IIS view also shows inherited rules, and removing one of
    # those at a child level would add a <remove> element instead of deleting the rule.
    function Find-RuleSection([string]$File) {
        $sections = switch ($Direction) {
            'inbound' { @('system.webServer/rewrite/globalRules/rule', 'system.webServer/rewrite/rules/rule') }
            'outbound' { @('system.webServer/rewrite/outboundRules/rule') }
            'precondition' { @('system.webServer/rewrite/outboundRules/preConditions/preCondition') }
        }
        if (-not (Test-Path -LiteralPath $File)) { return $null }
        # -Encoding UTF8: IIS writes UTF-8, and 5.1 would read a file without a BOM as ANSI.
        $xml = [xml](Get-Content -LiteralPath $File -Raw -Encoding UTF8)
        # A list, not a bare node: a lone XmlElement in foreach would be walked child by child.
        $roots = New-Object System.Collections.ArrayList
        if ($ConfigFile -eq 'applicationHost.config' -and $Location -ne 'Server' -and $Location -ne '') {
            foreach ($l in @($xml.SelectNodes('/configuration/location'))) { if ($l.GetAttribute('path') -eq $Location) { [void]$roots.Add($l) } }
        } else { [void]$roots.Add($xml.DocumentElement) }
        foreach ($root in $roots) {
            foreach ($section in $sections) {
                foreach ($node in @($root.SelectNodes($section))) {
                    if ($node.GetAttribute('name') -eq $Name) { return ($section -replace '/(rule|preCondition)$', '') }
                }
            }
        }
        return $null
    }
    switch ($Kind) {
        'backup-config' {
            Import-Module WebAdministration
            $file = Get-ConfigPath
            if (-not (Test-Path -LiteralPath $file)) { return @{ ok = $true; changed = $false; message = "There is no $file, so there is nothing to back up (and no rule in it to remove)." } }
            $backup = '{0}.{1}.bak' -f $file, (Get-Date).ToString('yyyyMMdd-HHmmss-fff', [System.Globalization.CultureInfo]::InvariantCulture)
            Copy-Item -LiteralPath $file -Destination $backup -ErrorAction Stop
            return @{ ok = $true; changed = $true; message = "Copied $file to $backup."; backupPath = $backup }
        }
        'remove-rewrite-rule' {
            Import-Module WebAdministration
            $file = Get-ConfigPath
            $section = Find-RuleSection $file
            if (-not $section) { return @{ ok = $true; changed = $false; message = "The rule '$Name' is not in $file; nothing to remove." } }
            $target = @{ PSPath = 'MACHINE/WEBROOT/APPHOST'; Filter = $section; Name = '.'; AtElement = @{ name = $Name } }
            if ($ConfigFile -eq 'web.config') { $target.PSPath = "MACHINE/WEBROOT/APPHOST/$Location" }
            elseif ($Location -ne 'Server' -and $Location -ne '') { $target.Location = $Location }
            Remove-WebConfigurationProperty @target
            if (Find-RuleSection $file) { throw "The rule '$Name' is still in $file after the removal." }
            return @{ ok = $true; changed = $true; message = "Removed the rule '$Name' from $file." }
        }
        'start-app-pool' {
            Import-Module WebAdministration
            if ((Get-WebAppPoolState -Name $Name).Value -eq 'Started') { return @{ ok = $true; changed = $false; message = "The app pool $Name already runs." } }
            Start-WebAppPool -Name $Name
            # Start-WebAppPool returns at once; "Starting" is fine, "Stopped" means WAS refused it.
            $state = [string](Get-WebAppPoolState -Name $Name).Value
            if ($state -ne 'Started' -and $state -ne 'Starting') { throw "The app pool $Name is $state after Start-WebAppPool. Check the System log for WAS events." }
            return @{ ok = $true; changed = $true; message = "Started the app pool $Name." }
        }
        'start-service' {
            $service = Get-Service -Name $Name -ErrorAction Stop
            # A service mitigation disables the service; the plan says which start type to restore
            # (INFERRED: Automatic is what Exchange services use, so that is the fallback). A running
            # service left Disabled would not come back after a reboot, so the start type is fixed first.
            $changed = $false
            $wantedType = if ($StartType) { $StartType } elseif ([string]$service.StartType -eq 'Disabled') { 'Automatic' } else { '' }
            if ($wantedType -and [string]$service.StartType -ne $wantedType) { Set-Service -Name $Name -StartupType $wantedType -ErrorAction Stop; $changed = $true }
            if ([string]$service.Status -eq 'Running') {
                $note = if ($changed) { " Its start type is now $wantedType." } else { '' }
                return @{ ok = $true; changed = $changed; message = "The service $Name already runs.$note" }
            }
            Start-Service -Name $Name -ErrorAction Stop
            return @{ ok = $true; changed = $true; message = "Started the service $Name." }
        }
    }
    throw "The step kind '$Kind' does not run on a server."
}

function Invoke-EemsExchangeStep($Step) {
    $kind = [string]$Step.kind
    if ($kind -eq 'verify' -and -not $Step.server) {
        $expected = (Get-EemsField $Step.args 'orgMitigationsEnabled')
        if (-not ($expected -is [bool])) { throw 'args.orgMitigationsEnabled must be true or false.' }
        $actual = (Get-OrganizationConfig -ErrorAction Stop).MitigationsEnabled
        if ($actual -ne $expected) { return @{ ok = $false; changed = $false; message = "The organisation's MitigationsEnabled is $actual, not $expected. Run the plan again." } }
        return @{ ok = $true; changed = $false; message = "The organisation's MitigationsEnabled is $actual, as expected." }
    }
    if ($kind -eq 'set-org-mitigations-enabled') {
        if (-not ((Get-EemsField $Step.args 'enabled') -is [bool])) { throw 'args.enabled must be true or false.' }
        if ((Get-OrganizationConfig -ErrorAction Stop).MitigationsEnabled -eq (Get-EemsField $Step.args 'enabled')) { return @{ ok = $true; changed = $false; message = "The organisation's MitigationsEnabled is already $((Get-EemsField $Step.args 'enabled'))." } }
        Set-OrganizationConfig -MitigationsEnabled (Get-EemsField $Step.args 'enabled') -ErrorAction Stop
        return @{ ok = $true; changed = $true; message = "Set the organisation's MitigationsEnabled to $((Get-EemsField $Step.args 'enabled'))." }
    }
    $name = Assert-EemsName ([string]$Step.server) $script:ServerNamePattern 'server name'
    $server = Get-ExchangeServer -Identity $name -ErrorAction Stop
    switch ($kind) {
        'block-mitigation' {
            $current = ConvertTo-EemsStringList $server.MitigationsBlocked
            $wanted = ConvertTo-EemsStringList (Get-EemsField $Step.args 'mitigationsBlocked')
            foreach ($id in $wanted) { $null = Assert-EemsName $id $script:MitigationIdPattern 'mitigation ID' }
            $missing = @($wanted | Where-Object { $current -notcontains $_ })
            if ($missing.Count -eq 0) { return @{ ok = $true; changed = $false; message = "$name already blocks $([string](Get-EemsField $Step.args 'mitigation')) ($($current -join ', '))." } }
            # The value replaces the list: keep what is blocked already, so a block added since the
            # plan was made is not lost.
            $list = [string[]]@(@($current) + @($missing))
            Set-ExchangeServer -Identity $name -MitigationsBlocked $list -ErrorAction Stop
            return @{ ok = $true; changed = $true; message = "$name now blocks $($list -join ', ')." }
        }
        'unblock-mitigation' {
            $current = ConvertTo-EemsStringList $server.MitigationsBlocked
            $remove = ConvertTo-EemsStringList (Get-EemsField $Step.args 'remove')
            foreach ($id in $remove) { $null = Assert-EemsName $id $script:MitigationIdPattern 'mitigation ID' }
            # The value replaces the list: write back what is blocked now, without these IDs.
            $list = [string[]]@($current | Where-Object { $remove -notcontains $_ })
            if ($list.Count -eq $current.Count) { return @{ ok = $true; changed = $false; message = "$name does not block $($remove -join ', '); nothing to take off." } }
            Set-ExchangeServer -Identity $name -MitigationsBlocked $list -ErrorAction Stop
            return @{ ok = $true; changed = $true; message = "$name now blocks $(if ($list.Count -gt 0) { $list -join ', ' } else { 'nothing' })." }
        }
        'set-server-mitigations-enabled' {
            if (-not ((Get-EemsField $Step.args 'enabled') -is [bool])) { throw 'args.enabled must be true or false.' }
            if ($server.MitigationsEnabled -eq (Get-EemsField $Step.args 'enabled')) { return @{ ok = $true; changed = $false; message = "MitigationsEnabled of $name is already $((Get-EemsField $Step.args 'enabled'))." } }
            Set-ExchangeServer -Identity $name -MitigationsEnabled (Get-EemsField $Step.args 'enabled') -ErrorAction Stop
            return @{ ok = $true; changed = $true; message = "Set MitigationsEnabled of $name to $((Get-EemsField $Step.args 'enabled'))." }
        }
        'verify' {
            $applied = ConvertTo-EemsStringList $server.MitigationsApplied
            $blocked = ConvertTo-EemsStringList $server.MitigationsBlocked
            $expect = ConvertTo-EemsStringList (Get-EemsField $Step.args 'expectBlocked')
            $notBlocked = @($expect | Where-Object { $blocked -notcontains $_ })
            if ($notBlocked.Count -gt 0) { return @{ ok = $false; changed = $false; message = "$name does not block $($notBlocked -join ', ') (MitigationsBlocked: $($blocked -join ', ')). Run the plan again." } }
            # The contract allows the organisation's value on a server's verify step too: checked when given.
            if ($null -ne (Get-EemsField $Step.args 'orgMitigationsEnabled')) {
                if (-not ((Get-EemsField $Step.args 'orgMitigationsEnabled') -is [bool])) { throw 'args.orgMitigationsEnabled must be true or false.' }
                $org = (Get-OrganizationConfig -ErrorAction Stop).MitigationsEnabled
                if ($org -ne (Get-EemsField $Step.args 'orgMitigationsEnabled')) { return @{ ok = $false; changed = $false; message = "The organisation's MitigationsEnabled is $org, not $((Get-EemsField $Step.args 'orgMitigationsEnabled')). Run the plan again." } }
            }
            # args.absentRules: each remove-rewrite-rule step already re-read its file after the
            # removal; the next collection checks the rules again (verifyRemoval), so they are only named here.
            $rules = ConvertTo-EemsStringList (Get-EemsField $Step.args 'absentRules')
            $tail = if ($rules.Count -gt 0) { " The next collection checks that $($rules -join ', ') is gone." } else { '' }
            return @{ ok = $true; changed = $false; message = "$name MitigationsApplied: $($applied -join ', '); MitigationsBlocked: $($blocked -join ', ').$tail" }
        }
    }
    throw "The step kind '$kind' is not one this script knows; nothing was run."
}

$session = $null
try {
    $request = Read-EemsRequest
    $step = $request.step
    if (-not $step) { throw 'The request holds no step; nothing was run.' }
    $kind = [string]$step.kind
    if (@('backup-config', 'remove-rewrite-rule', 'start-app-pool', 'start-service') -contains $kind) {
        $a = $step.args
        if ($kind -eq 'start-app-pool' -or $kind -eq 'start-service') { $null = Assert-EemsName ([string](Get-EemsField $a 'name')) $PoolOrServicePattern 'name' }
        if ($kind -eq 'backup-config' -or $kind -eq 'remove-rewrite-rule') { $null = Assert-EemsName ([string](Get-EemsField $a 'location')) $LocationPattern 'IIS location' }
        if ($kind -eq 'remove-rewrite-rule' -and @('inbound', 'outbound', 'precondition') -notcontains [string](Get-EemsField $a 'direction')) { throw 'args.direction must be inbound, outbound or precondition.' }
        if (@('backup-config', 'remove-rewrite-rule') -contains $kind -and @('web.config', 'applicationHost.config') -notcontains [string](Get-EemsField $a 'configFile')) { throw 'args.configFile must be web.config or applicationHost.config.' }
        if ($kind -eq 'start-service' -and (Get-EemsField $a 'startType') -and @('Automatic', 'Manual') -notcontains [string](Get-EemsField $a 'startType')) { throw 'args.startType must be Automatic or Manual.' }
        $r = Invoke-EemsOnServer ([string]$request.computerName) $onServer @($kind, [string](Get-EemsField $a 'name'), [string](Get-EemsField $a 'direction'), [string](Get-EemsField $a 'location'), [string](Get-EemsField $a 'configFile'), [string](Get-EemsField $a 'startType'))
        # Rebuilt from known fields only: remoting adds PSComputerName and RunspaceId to what comes back.
        $result = @{ ok = [bool]$r.ok; changed = [bool]$r.changed; message = [string]$r.message }
        $backupPath = Get-EemsField $r 'backupPath'
        if ($backupPath) { $result.backupPath = [string]$backupPath }
    } else {
        # Set-* never goes through the Exchange snap-in, which Microsoft does not support for it
        # (eems-domain.md K8): in local mode too, the step opens remote PowerShell, to the step's own
        # server or, for an organisation step, to this computer.
        $connect = $request
        if ($request.mode -ne 'remote') {
            $target = if ($request.computerName) { Assert-EemsName ([string]$request.computerName) $script:ComputerNamePattern 'computer name' } else { [System.Net.Dns]::GetHostEntry([System.Net.Dns]::GetHostName()).HostName }
            $connect = @{ mode = 'remote'; connectionUris = @("http://$target/PowerShell/"); authentication = [string]$request.authentication }
        }
        $session = Connect-EemsExchange $connect
        $result = Invoke-EemsExchangeStep $step
    }
    Write-EemsEnvelope @{ ok = $true; result = $result }
} catch {
    Write-EemsEnvelope @{ ok = $false; error = "The step failed: $($_.Exception.Message)" }
} finally {
    Disconnect-EemsExchange $session
}
exit $script:EemsExitCode
