# read-events.ps1: the mitigation service's Application log records of one server (and the 4999
# crash reports of MSExchange Common) with a RecordId above the bookmark, oldest first.
#
# RUN HERE under PowerShell 7.6.10 with Set-StrictMode -Version Latest, against a simulated Exchange
# built from real Export-Clixml captures (test/engine/host-conformance.test.ts). NOT RUN by the tests
# on Windows PowerShell 5.1 with a real Exchange: only parsed for 5.1 syntax there.
#
# Started by EEMS Watch as
#   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File read-events.ps1
# with the request as JSON on stdin:
#   { server: 'EX01', computerName: 'ex01.contoso.com', sinceRecordId: 1234,
#     options: { eventSource: 'per-server'|'forwarded', collector: 'wec01.contoso.com', maxEvents: 1000 } }
# Prints {"ok":true,"result":[{recordId,eventId,level,time,machine,provider,message,data}]} or
# {"ok":false,"error":"<sentence>"}.
#
# 4999 records are returned whatever process crashed: dropping the others here could leave a
# bookmark stuck behind a page of unrelated crashes. The alert rules check that the message names
# the mitigation service (INFERRED: its process name is not documented, eems-domain.md section 1).
# No Exchange session is needed: Get-WinEvent runs on the server (or the collector) over WinRM.

. (Join-Path $PSScriptRoot 'eems-common.ps1')

# Runs ON the server or the Windows Event Forwarding collector. Data only through the parameters.
$onComputer = {
    param([long]$Since, [int]$MaxEvents, [string]$LogName, [string]$SourceComputer)
    $ErrorActionPreference = 'Stop'
    # Only the [long] bookmark and a name checked against ComputerNamePattern (letters, digits, '.',
    # '-': no quote can close the string) go into the XPath query.
    if ($SourceComputer -and $SourceComputer -notmatch '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$') { throw 'The source computer name is not valid; nothing was read.' }
    $computerClause = if ($SourceComputer) { " and Computer='$SourceComputer'" } else { '' }
    $xpath = "*[System[(Provider[@Name='MSExchange Mitigation Service'] or (Provider[@Name='MSExchange Common'] and EventID=4999)) and EventRecordID > $Since$computerClause]]"
    try {
        $found = @(Get-WinEvent -LogName $LogName -FilterXPath $xpath -MaxEvents $MaxEvents -Oldest)
    } catch {
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return }
        throw
    }
    foreach ($e in ($found | Sort-Object RecordId)) {
        @{
            recordId = [long]$e.RecordId; eventId = [int]$e.Id; level = [int]$e.Level
            # Invariant culture: in a custom format ':' is the culture's time separator.
            time = $e.TimeCreated.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", [System.Globalization.CultureInfo]::InvariantCulture)
            machine = [string]$e.MachineName; provider = [string]$e.ProviderName; message = [string]$e.Message
            data = [string[]]@($e.Properties | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_.Value })
        }
    }
}

try {
    $request = Read-EemsRequest
    $since = [long]$request.sinceRecordId
    if ($since -lt 0) { throw 'The event bookmark in the request is negative; nothing was read.' }
    $max = [int]$request.options.maxEvents
    if ($max -le 0) { $max = 1000 }
    $computer = Assert-EemsName ([string]$request.computerName) $script:ComputerNamePattern 'computer name'
    if ($request.options.eventSource -eq 'forwarded') {
        # ForwardedEvents keeps the source's FQDN in Computer, so servers[].fqdn must be set.
        $collector = Assert-EemsName ([string]$request.options.collector) $script:ComputerNamePattern 'collector name'
        $raw = Invoke-EemsOnServer $collector $onComputer @($since, $max, 'ForwardedEvents', $computer)
    } else {
        $raw = Invoke-EemsOnServer $computer $onComputer @($since, $max, 'Application', '')
    }
    # Rebuilt from known fields only: remoting adds PSComputerName and RunspaceId to what comes back.
    $events = New-Object System.Collections.ArrayList
    foreach ($e in @($raw)) {
        if (-not $e) { continue }
        [void]$events.Add([ordered]@{
                recordId = [long]$e.recordId; eventId = [int]$e.eventId; level = [int]$e.level; time = [string]$e.time
                machine = [string]$e.machine; provider = [string]$e.provider; message = [string]$e.message
                data = [string[]]@($e.data | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
            })
    }
    Write-EemsEnvelope @{ ok = $true; result = $events }
} catch {
    Write-EemsEnvelope @{ ok = $false; error = "The events could not be read: $($_.Exception.Message) Check that Test-WSMan works for the server and that you may read its Application log." }
}
exit $script:EemsExitCode
