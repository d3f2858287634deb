# eems-common.ps1: helpers dot-sourced by the three EEMS Watch scripts (not run on its own).
#
# NOT RUN HERE: the machines EEMS Watch is built and tested on have no PowerShell. This file is
# reviewed by reading; the TypeScript host is tested against a stand-in program instead.
#
# Rules every script follows: the request arrives as JSON on stdin and is only ever read as data
# (no Invoke-Expression, no command text built from it); one JSON envelope goes to stdout:
# {"ok":true,"result":...} or {"ok":false,"error":"<sentence>"}.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
# The host sends pure ASCII; the answer goes out as UTF-8 without a BOM.
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false

# Same patterns as the host checks (settings-schema.ts, host-request.ts): checked again here so the
# scripts stay safe even when started by hand.
$script:ServerNamePattern = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'
$script:ComputerNamePattern = '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$'
$script:MitigationIdPattern = '^[A-Za-z][A-Za-z0-9._-]{0,31}$'

function Read-EemsRequest {
    $text = [Console]::In.ReadToEnd()
    if ([string]::IsNullOrWhiteSpace($text)) { throw 'No request arrived on standard input. These scripts are started by EEMS Watch with a JSON request on stdin.' }
    return ($text | ConvertFrom-Json)
}

function Write-EemsEnvelope([hashtable]$Envelope) {
    [Console]::Out.WriteLine((ConvertTo-Json -InputObject $Envelope -Depth 8 -Compress))
}

function Assert-EemsName([string]$Value, [string]$Pattern, [string]$What) {
    if ($Value -notmatch $Pattern) { throw "The $What in the request is not valid; nothing was run." }
    return $Value
}

# Local: the Exchange Management Shell snap-in. Remote: a session to the Microsoft.Exchange endpoint
# of the first server that answers (connectionUris in order), its commands imported globally.
function Connect-EemsExchange($Request) {
    if ($Request.mode -eq 'remote') {
        $failures = @()
        foreach ($uri in @($Request.connectionUris)) {
            try {
                $session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri ([string]$uri) -Authentication ([string]$Request.authentication)
                Import-Module (Import-PSSession -Session $session -DisableNameChecking -AllowClobber) -Global -DisableNameChecking | Out-Null
                return $session
            } catch {
                $failures += "$uri ($($_.Exception.Message))"
            }
        }
        throw "No Exchange PowerShell session could be opened: $($failures -join '; '). Check connection.remoteUri and that Kerberos works from this computer (Test-WSMan)."
    }
    if (-not (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue)) {
        Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn
    }
    return $null
}

function Disconnect-EemsExchange($Session) {
    if ($Session) { Remove-PSSession -Session $Session -ErrorAction SilentlyContinue }
}

# Run a fixed script block on a server over WinRM, with data passed only through -ArgumentList.
function Invoke-EemsOnServer([string]$ComputerName, [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @()) {
    $computer = Assert-EemsName $ComputerName $script:ComputerNamePattern 'computer name'
    return Invoke-Command -ComputerName $computer -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
}

# Strings, with null, missing and empty all read as an empty list (eems-domain.md section 8).
# The unary comma stops PowerShell from unrolling the list on return (an empty list would come back
# as $null, a list of one as a bare string). Callers assign the result directly, without @().
function ConvertTo-EemsStringList($Value) {
    return , [string[]]@($Value | Where-Object { $null -ne $_ -and "$_" -ne '' } | ForEach-Object { [string]$_ })
}
