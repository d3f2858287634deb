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
