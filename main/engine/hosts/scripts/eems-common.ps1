# eems-common.ps1: helpers dot-sourced by the three EEMS Watch scripts (not run on its own).
#
# RUN HERE under PowerShell 7.6.10 with Set-StrictMode -Version Latest, against a simulated Exchange
# built from real Export-Clixml captures (test/engine/host-conformance.test.ts). NOT RUN by the tests
# on Windows PowerShell 5.1 with a real Exchange: only parsed for 5.1 syntax there.
#
# Rules every script follows: the request arrives as JSON on stdin and is only ever read as data
# (no Invoke-Expression, no command text built from it); one JSON envelope goes to stdout:
# {"ok":true,"result":...} or {"ok":false,"error":"<sentence>"}.

$ErrorActionPreference = 'Stop'
# Global too: implicitly remoted Exchange cmdlets are functions of a module, and module functions read
# preference variables from the global scope, not from this script's. A WARNING written there would
# otherwise land on stdout before the envelope. (ErrorAction is passed explicitly to those cmdlets.)
foreach ($scope in @('Script', 'Global')) {
    Set-Variable -Scope $scope -Name ProgressPreference -Value 'SilentlyContinue'
    Set-Variable -Scope $scope -Name WarningPreference -Value 'SilentlyContinue'
    Set-Variable -Scope $scope -Name VerbosePreference -Value 'SilentlyContinue'
    Set-Variable -Scope $scope -Name InformationPreference -Value 'SilentlyContinue'
}
# Windows PowerShell 5.1 gives System.Array an ETS Count property, and ConvertTo-Json then writes an
# array that travelled the pipeline wrapped in a PSObject as {"value":[..],"Count":n}. Without the
# type data, arrays serialise as arrays (.Count still works: it is intrinsic since PowerShell 3).
try { Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue } catch { }
# The envelope itself is pure ASCII (Write-EemsEnvelope escapes the rest), so its bytes do not depend
# on the code page; this only helps stray text. It fails when the process has no console: ignored.
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }
# 0 when the envelope says ok, 1 when it carries an error (the host reads the envelope either way).
$script:EemsExitCode = 0
# Connection attempts give up after this long, so one server that is down cannot use up the host's
# whole call time-out (connection.callTimeoutSeconds) before the others are read.
$script:EemsSessionOption = New-PSSessionOption -OpenTimeout 20000
# The only Exchange cmdlets the scripts call; importing only these keeps Import-PSSession fast.
$script:EemsExchangeCommands = @('Get-ExchangeServer', 'Set-ExchangeServer', 'Get-OrganizationConfig', 'Set-OrganizationConfig', 'Search-AdminAuditLog')

# Same patterns as the host checks (settings-schema.ts, host-request.ts): checked again here so the
# scripts stay safe even when started by hand.
$script:ServerNamePattern = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'
$script:ComputerNamePattern = '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$'
$script:MitigationIdPattern = '^[A-Za-z][A-Za-z0-9._-]{0,31}$'

# A field of the request, or $null when it is absent: under Set-StrictMode reading a property the
# JSON did not have is an error, and step args differ per kind.
function Get-EemsField($Object, [string]$Name) {
    if ($null -eq $Object) { return $null }
    # A hashtable that came back over remoting carries PSComputerName as a note property, and strict
    # mode then resolves a missing key as a missing property: ask the dictionary itself.
    if ($Object -is [System.Collections.IDictionary]) { if ($Object.Contains($Name)) { return $Object[$Name] } else { return $null } }
    $property = $Object.PSObject.Properties[$Name]
    if ($property) { return $property.Value }
    return $null
}

function Read-EemsRequest {
    $text = [Console]::In.ReadToEnd()
    if ([string]::IsNullOrWhiteSpace($text)) { throw 'No request arrived on standard input. These scripts are started by EEMS Watch with a JSON request on stdin.' }
    return ($text | ConvertFrom-Json)
}

function Write-EemsEnvelope([hashtable]$Envelope) {
    if ($Envelope.ok -ne $true) { $script:EemsExitCode = 1 }
    # Depth 20: ConvertTo-Json in 5.1 silently turns anything deeper than -Depth into its ToString().
    $json = ConvertTo-Json -InputObject $Envelope -Depth 20 -Compress
    # Every non-ASCII character as a \uXXXX escape: valid JSON, and the same bytes in any code page.
    $json = [regex]::Replace($json, '[^\u0000-\u007F]', [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value })
    [Console]::Out.WriteLine($json)
}

# A time as the contracts write it ("2026-11-27T10:00:00Z"). The invariant culture matters: in a
# custom format ':' is the culture's time separator, and a region set to '.' would make it unreadable.
function Format-EemsUtcTime($Time) {
    if ($null -eq $Time) { return $null }
    return ([datetime]$Time).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [System.Globalization.CultureInfo]::InvariantCulture)
}

# InternetWebProxy arrives as a System.Uri (K10), as its string, or as a property bag where a Uri
# was serialised without its type: always the absolute address as text, or $null.
function ConvertTo-EemsUriText($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Uri]) { if ($Value.IsAbsoluteUri) { return $Value.AbsoluteUri } else { return $Value.OriginalString } }
    foreach ($name in @('AbsoluteUri', 'OriginalString')) {
        $text = Get-EemsField $Value $name
        if ($text) { return [string]$text }
    }
    $plain = [string]$Value
    if ($plain) { return $plain }
    return $null
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
                $session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri ([string]$uri) -Authentication ([string]$Request.authentication) -SessionOption $script:EemsSessionOption -ErrorAction Stop
                try {
                    $module = Import-PSSession -Session $session -CommandName $script:EemsExchangeCommands -DisableNameChecking -AllowClobber -ErrorAction Stop
                    Import-Module $module -Global -DisableNameChecking -ErrorAction Stop | Out-Null
                } catch {
                    Remove-PSSession -Session $session -ErrorAction SilentlyContinue
                    throw
                }
                return $session
            } catch {
                $failures += "$uri ($($_.Exception.Message))"
            }
        }
        throw "No Exchange PowerShell session could be opened: $($failures -join '; '). Check connection.remoteUri and that Kerberos works from this computer (Test-WSMan)."
    }
    if (-not (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue)) {
        # The snap-in bypasses RBAC; run the scripts as an Exchange administrator.
        Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn -ErrorAction Stop
    }
    return $null
}

function Disconnect-EemsExchange($Session) {
    if ($Session) { Remove-PSSession -Session $Session -ErrorAction SilentlyContinue }
}

# Run a fixed script block on a server over WinRM, with data passed only through -ArgumentList.
function Invoke-EemsOnServer([string]$ComputerName, [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @()) {
    $computer = Assert-EemsName $ComputerName $script:ComputerNamePattern 'computer name'
    return Invoke-Command -ComputerName $computer -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList -SessionOption $script:EemsSessionOption -ErrorAction Stop
}

# Strings, with null, missing and empty all read as an empty list (eems-domain.md section 8).
# The unary comma stops PowerShell from unrolling the list on return (an empty list would come back
# as $null, a list of one as a bare string). Callers assign the result directly, without @().
function ConvertTo-EemsStringList($Value) {
    return , [string[]]@($Value | Where-Object { $null -ne $_ -and "$_" -ne '' } | ForEach-Object { [string]$_ })
}
