# SimLab: what the simulated Exchange modules share. The lab's organisation on disk is the truth
# (EEMS_SIM_LAB: lab.json, state.json, servers/<name>/events.jsonl); objects handed to the bundled
# scripts are the real captures of ../../captures (EEMS_SIM_FIXTURES) with the lab's
# values patched in, deserialised the way implicit remoting deserialises them. Writes go to the lab
# through lab-apply.js (EEMS_SIM_NODE runs EEMS_SIM_APPLY), so the lab host sees them too.
#
# Test code only: runs under PowerShell 7 on Linux, never on a server.

$script:PsNs = 'http://schemas.microsoft.com/powershell/2004/04'
$script:RefId = 9000
$script:StringListType = 'Microsoft.Exchange.Data.MultiValuedProperty`1[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]'

function Get-SimLabDir {
    if (-not $env:EEMS_SIM_LAB) { throw 'EEMS_SIM_LAB is not set: the simulated Exchange needs the lab folder.' }
    return $env:EEMS_SIM_LAB
}

function Read-SimJson([string]$Path) {
    # -DateKind String: keep ISO times as the text the lab wrote (7.x would make DateTimes of them).
    return (Get-Content -LiteralPath $Path -Raw -Encoding UTF8 | ConvertFrom-Json -DateKind String)
}

function Get-SimLabState { Read-SimJson (Join-Path (Get-SimLabDir) 'state.json') }
function Get-SimLabDocument { Read-SimJson (Join-Path (Get-SimLabDir) 'lab.json') }

# The lab's clock: what Get-Date says on the simulated servers and management host.
function Get-SimNow { [datetime]::Parse((Get-SimLabDocument).now, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal) }

# A server of the lab by name or FQDN: @{ State = <state.json entry>; Lab = <lab.json entry> }, or $null.
function Find-SimServer([string]$Identity) {
    $state = Get-SimLabState
    $lab = Get-SimLabDocument
    foreach ($s in @($state.servers)) {
        $fqdn = if ($s.PSObject.Properties['Fqdn']) { [string]$s.Fqdn } else { '' }
        if ($s.Name -ieq $Identity -or ($fqdn -and $fqdn -ieq $Identity)) {
            $entry = @($lab.servers | Where-Object { $_.name -ieq $s.Name })[0]
            return @{ State = $s; Lab = $entry; Organization = $state.organization }
        }
    }
    return $null
}

# WinRM's own words when a server does not answer (the shape Invoke-Command throws).
function Get-SimUnreachableText([string]$Computer) {
    return "Connecting to remote server $Computer failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. For more information, see the about_Remote_Troubleshooting Help topic."
}

# Apply one write to the lab (see lab-apply.ts). The operation goes as JSON on stdin: data only.
function Invoke-SimLabApply([hashtable]$Operation) {
    $json = ConvertTo-Json -InputObject $Operation -Depth 8 -Compress
    $out = $json | & $env:EEMS_SIM_NODE $env:EEMS_SIM_APPLY (Get-SimLabDir) 2>&1
    if ($LASTEXITCODE -ne 0) { throw "The simulated organisation refused the change: $out" }
    Write-SimCall "lab-apply $($Operation.op)"
}

# A hung server (lab.json "hung") takes the connection and never answers: the call waits as long as
# the session option's OpenTimeout allows (the scripts ask for 20 s) and then fails with WinRM's
# own words; without an OpenTimeout it waits until the process is ended (the host's time-out).
function Wait-SimHungServer([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Computer, [object]$SessionOption) {
    Write-SimCall "hung $Computer"
    $wait = 0
    if ($null -ne $SessionOption -and $SessionOption.PSObject.Properties['OpenTimeout'] -and $null -ne $SessionOption.OpenTimeout) { $wait = [int]([timespan]$SessionOption.OpenTimeout).TotalMilliseconds }
    if ($wait -le 0) { while ($true) { Start-Sleep -Seconds 60 } }
    Start-Sleep -Milliseconds $wait
    $text = "Connecting to remote server $Computer failed with the following error message : The WinRM client cannot complete the operation within the time specified. Check if the machine name is valid and is reachable over the network and firewall exception for Windows Remote Management service is enabled. For more information, see the about_Remote_Troubleshooting Help topic."
    $record = New-Object System.Management.Automation.ErrorRecord ((New-Object System.Management.Automation.Remoting.PSRemotingTransportException $text), 'PSSessionOpenFailed', [System.Management.Automation.ErrorCategory]::OpenError, $Computer)
    $Cmdlet.ThrowTerminatingError($record)
}

# The lab's fail-run switch (lab-faults.ts takeRunFault), for one plan step of run-step.ps1:
# sim-entry.ps1 calls Enter-SimStep once before the step starts; lab-apply.js counts the step (the
# server's runFault, or orgRunFault for an organisation step, server $null) exactly as the lab host
# does, and when this is the step that fails, the switch is cleared in lab.json and armed for this
# process. The armed step then fails where a real one would: its first write cmdlet throws the
# error the real cmdlet throws, before it changes anything (Stop-SimStepFault 'write'). A step that
# writes nothing (backup-config, verify) fails at its first call to the server or to Exchange
# ('contact'); a server step that found nothing to write fails as its Invoke-Command returns.
# Not matched: an Exchange step that finds nothing to write (a block already there, MitigationsEnabled
# already as wanted) reads and returns without a write, so it succeeds here where the lab host fails
# it (the switch is used up in both); plans meet the switch at their writes, where both hosts agree.
function Enter-SimStep([string]$Server, [string]$Kind) {
    Remove-Item Env:EEMS_SIM_STEP_FAULT -ErrorAction SilentlyContinue
    $lab = Get-SimLabDocument
    $switch = $null
    if ($Server) {
        $entry = @($lab.servers | Where-Object { $_.name -ieq $Server })[0]
        if ($entry -and $entry.PSObject.Properties['runFault']) { $switch = $entry.runFault }
    } elseif ($lab.PSObject.Properties['orgRunFault']) { $switch = $lab.orgRunFault }
    if ($null -eq $switch) { return }
    $operation = @{ op = 'begin-step'; server = $(if ($Server) { $Server } else { $null }) }
    $out = ConvertTo-Json -InputObject $operation -Compress | & $env:EEMS_SIM_NODE $env:EEMS_SIM_APPLY (Get-SimLabDir) 2>&1
    if ($LASTEXITCODE -ne 0) { throw "The simulated organisation could not count the step: $out" }
    $answer = ConvertFrom-Json -InputObject (@($out) -join "`n")
    if ($null -eq $answer.fail) { return }
    $at = if (@('backup-config', 'verify') -contains $Kind) { 'contact' } else { 'write' }
    $where = if ($Server) { $Server } else { 'the organisation' }
    Write-SimCall "fail-run step $($answer.fail.atStep) on $where ($Kind, at $at)"
    $env:EEMS_SIM_STEP_FAULT = ConvertTo-Json -InputObject @{ atStep = [int]$answer.fail.atStep; message = $answer.fail.message; at = $at } -Compress
}

# Fail the armed step here (when it is armed for this point, 'write' or 'contact'; '' for any):
# disarm it and throw $Text, the real cmdlet's error, or the lab switch's own message when it has one.
function Stop-SimStepFault([System.Management.Automation.PSCmdlet]$Cmdlet, [string]$At, [string]$Text, [string]$Id, [System.Management.Automation.ErrorCategory]$Category = 'WriteError') {
    if (-not $env:EEMS_SIM_STEP_FAULT) { return }
    $fault = ConvertFrom-Json -InputObject $env:EEMS_SIM_STEP_FAULT
    if ($At -and $fault.at -ne $At) { return }
    Remove-Item Env:EEMS_SIM_STEP_FAULT -ErrorAction SilentlyContinue
    $message = if ($fault.message) { [string]$fault.message } else { "$Text (lab fault at step $($fault.atStep))" }
    Write-SimCall "fail-run fired: $message"
    $record = New-Object System.Management.Automation.ErrorRecord ((New-Object System.InvalidOperationException $message), $Id, $Category, $null)
    $Cmdlet.ThrowTerminatingError($record)
}

# Active Directory's words when Exchange cannot write an object, or read one (the real ADOperationException and ADTransientException texts).
function Get-SimAdWriteText { 'Active Directory operation failed on dc01.contoso.com. This error is not retriable. Additional information: Insufficient access rights to perform the operation.' }
function Get-SimAdReadText { 'Active Directory server dc01.contoso.com is not available. Error message: Active directory response: The LDAP server is unavailable.' }

# One line per simulated call, so a test can tell what the scripts asked of "Exchange".
function Write-SimCall([string]$Text) {
    if ($env:EEMS_SIM_CALLS) { Add-Content -LiteralPath $env:EEMS_SIM_CALLS -Value $Text -Encoding UTF8 }
}

# A string as the serializer writes it (control characters and "_x" escaped), for a <S> element.
function ConvertTo-SimClixmlText([string]$Value) {
    $doc = [xml][System.Management.Automation.PSSerializer]::Serialize($Value)
    return $doc.DocumentElement.FirstChild.InnerXml
}

function New-SimNode([System.Xml.XmlDocument]$Doc, [string]$Tag, [string]$Name) {
    $node = $Doc.CreateElement($Tag, $script:PsNs)
    if ($Name) { $node.SetAttribute('N', $Name) }
    return $node
}

# The real capture with these properties set, deserialised as remoting does. Values: $null (Nil),
# bool (B), string (S), [uri] (URI), [datetime] (DT), @{ List = [string[]] } (a MultiValuedProperty;
# empty as <Nil/>, as the captures show it), @{ Version = 'Version 15.2 (Build 1748.10)' } (ServerVersion).
function New-SimCaptureObject([string]$Capture, [System.Collections.IDictionary]$Patch, [string]$ToString) {
    $doc = New-Object System.Xml.XmlDocument
    $doc.Load((Join-Path $env:EEMS_SIM_FIXTURES "clixml/$Capture"))
    $ns = New-Object System.Xml.XmlNamespaceManager $doc.NameTable
    $ns.AddNamespace('ps', $script:PsNs)
    $root = $doc.SelectSingleNode('/ps:Objs/ps:Obj', $ns)
    $props = $root.SelectSingleNode('ps:Props', $ns)
    if ($ToString) { $root.SelectSingleNode('ps:ToString', $ns).InnerXml = ConvertTo-SimClixmlText $ToString }
    foreach ($name in @($Patch.Keys)) {
        $value = $Patch[$name]
        $old = $null
        foreach ($child in $props.ChildNodes) { if ($child -is [System.Xml.XmlElement] -and $child.GetAttribute('N') -eq $name) { $old = $child; break } }
        if ($value -is [System.Collections.IDictionary] -and $value.Contains('Version')) {
            if (-not $old) { throw "The capture $Capture has no $name to patch." }
            $m = [regex]::Match([string]$value.Version, '^Version (\d+)\.(\d+) \(Build (\d+)\.(\d+)\)$')
            if (-not $m.Success) { throw "Not a ServerVersion text: $($value.Version)" }
            $old.SelectSingleNode('ps:ToString', $ns).InnerText = [string]$value.Version
            $i = 1
            foreach ($part in @('Major', 'Minor', 'Build', 'Revision')) { $old.SelectSingleNode("ps:Props/ps:I32[@N='$part']", $ns).InnerText = $m.Groups[$i].Value; $i++ }
            continue
        }
        if ($null -eq $value -or ($value -is [System.Collections.IDictionary] -and @($value.List).Count -eq 0)) {
            $new = New-SimNode $doc 'Nil' $name
        } elseif ($value -is [System.Collections.IDictionary]) {
            $new = New-SimNode $doc 'Obj' $name
            $new.SetAttribute('RefId', [string]($script:RefId++))
            $tn = New-SimNode $doc 'TN' ''
            $tn.SetAttribute('RefId', [string]($script:RefId++))
            foreach ($t in @($script:StringListType, 'Microsoft.Exchange.Data.MultiValuedPropertyBase', 'System.Object')) { $e = New-SimNode $doc 'T' ''; $e.InnerText = $t; [void]$tn.AppendChild($e) }
            [void]$new.AppendChild($tn)
            $lst = New-SimNode $doc 'LST' ''
            foreach ($item in @($value.List)) { $s = New-SimNode $doc 'S' ''; $s.InnerXml = ConvertTo-SimClixmlText ([string]$item); [void]$lst.AppendChild($s) }
            [void]$new.AppendChild($lst)
        } elseif ($value -is [bool]) {
            $new = New-SimNode $doc 'B' $name; $new.InnerText = $(if ($value) { 'true' } else { 'false' })
        } elseif ($value -is [uri]) {
            $new = New-SimNode $doc 'URI' $name; $new.InnerXml = ConvertTo-SimClixmlText $value.OriginalString
        } elseif ($value -is [datetime]) {
            $new = New-SimNode $doc 'DT' $name; $new.InnerText = $value.ToUniversalTime().ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)
        } else {
            $new = New-SimNode $doc 'S' $name; $new.InnerXml = ConvertTo-SimClixmlText ([string]$value)
        }
        if ($old) { [void]$props.ReplaceChild($new, $old) } else { [void]$props.AppendChild($new) }
    }
    return [System.Management.Automation.PSSerializer]::Deserialize($doc.OuterXml)
}

# What crosses a remoting boundary: serialised and deserialised (Deserialized.* objects come back).
function ConvertTo-SimRemoted($Value) {
    if ($null -eq $Value) { return $null }
    return [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($Value, 20))
}

# Where a server's web.config for an IIS location lives (Exchange's own layout under the server's folder).
function Get-SimWebConfigPath([string]$Root, [string]$Location) {
    $parts = @(($Location -replace '\\', '/').Trim('/') -split '/' | Where-Object { $_ })
    if ($parts.Count -le 1) { return (Join-Path $Root 'inetpub/wwwroot/web.config') }
    return (Join-Path $Root ("Exchange Server/V15/FrontEnd/HttpProxy/" + (($parts | Select-Object -Skip 1) -join '/') + '/web.config'))
}

function Save-SimXml([xml]$Xml, [string]$Path) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Path)
    $settings = New-Object System.Xml.XmlWriterSettings
    $settings.Indent = $true
    $settings.Encoding = New-Object System.Text.UTF8Encoding $false
    $writer = [System.Xml.XmlWriter]::Create($Path, $settings)
    try { $Xml.Save($writer) } finally { $writer.Dispose() }
}

Export-ModuleMember -Function *
