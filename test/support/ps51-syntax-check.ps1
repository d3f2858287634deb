# Windows PowerShell 5.1 syntax check: parses each file with PowerShell's own parser (under
# PowerShell 7, which knows the newer syntax, so it can find it) and reports what Windows
# PowerShell 5.1 cannot run: 7-only operators and blocks, and 7-only parameters of built-in cmdlets.
# Exchange servers run 5.1; the tests run the scripts under 7, so without this check a 7-only
# construct would pass every test and break on every real server.
#
# What it cannot catch: behaviour that differs at run time between 5.1 and 7 with the same syntax
# (ConvertTo-Json's output, default encodings, .NET Framework vs .NET APIs). Only Windows shows those.
#
# Input: a JSON array of file paths on stdin. Output: {"files":[{"path","parseErrors":[...],"violations":[{"line","column","construct","text"}]}]}
$ErrorActionPreference = 'Stop'
$paths = @([Console]::In.ReadToEnd() | ConvertFrom-Json)

# 7-only parameters of cmdlets that exist on 5.1 (Learn, about_PowerShell_Differences /
# "What's new in PowerShell 7.x"): the cmdlet name, the parameter, what to say.
$sevenOnlyParameters = @(
    @('ForEach-Object', 'Parallel'), @('ForEach-Object', 'ThrottleLimit'), @('ForEach-Object', 'AsJob'),
    @('Get-Content', 'AsByteStream'), @('Set-Content', 'AsByteStream'), @('Add-Content', 'AsByteStream'),
    @('ConvertFrom-Json', 'AsHashtable'), @('ConvertFrom-Json', 'Depth'), @('ConvertFrom-Json', 'NoEnumerate'),
    @('ConvertTo-Json', 'EscapeHandling'), @('ConvertTo-Json', 'AsArray'),
    @('Invoke-WebRequest', 'SkipCertificateCheck'), @('Invoke-RestMethod', 'SkipCertificateCheck'),
    @('Invoke-WebRequest', 'Authentication'), @('Invoke-RestMethod', 'Authentication'),
    @('Invoke-WebRequest', 'SslProtocol'), @('Invoke-RestMethod', 'SslProtocol'),
    @('Invoke-WebRequest', 'StatusCodeVariable'), @('Invoke-RestMethod', 'StatusCodeVariable'),
    @('Invoke-WebRequest', 'ResponseHeadersVariable'), @('Invoke-RestMethod', 'ResponseHeadersVariable'),
    @('Invoke-WebRequest', 'SkipHttpErrorCheck'), @('Invoke-RestMethod', 'SkipHttpErrorCheck'),
    @('Select-String', 'Raw'), @('Split-Path', 'Extension'), @('Split-Path', 'LeafBase'),
    @('Test-Connection', 'TargetName'), @('Get-ChildItem', 'FollowSymlink')
)
# Cmdlets that 5.1 does not have at all.
$sevenOnlyCommands = @('Test-Json', 'Get-Error', 'Join-String', 'Start-ThreadJob', 'ConvertFrom-Markdown', 'Get-Uptime', 'Remove-Alias', 'Remove-Service', 'Get-MarkdownOption', 'ConvertTo-CliXml', 'ConvertFrom-CliXml')
# Encodings 5.1's -Encoding does not accept.
$sevenOnlyEncodings = @('utf8NoBOM', 'utf8BOM', 'ansi', 'latin1')
# Automatic variables that exist only in 7 (on 5.1 they read as $null, silently).
$sevenOnlyVariables = @('IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR', 'PSStyle', 'EnabledExperimentalFeatures')

function Add-Violation($list, $ast, [string]$construct) {
    $text = $ast.Extent.Text
    if ($text.Length -gt 80) { $text = $text.Substring(0, 80) }
    $list.Add([ordered]@{ line = $ast.Extent.StartLineNumber; column = $ast.Extent.StartColumnNumber; construct = $construct; text = $text })
}

# 5.1 parameters whose whole name is a prefix of a 7-only one: given in full, they are themselves
# (Split-Path -Leaf is not an abbreviation of -LeafBase).
$fullNames51 = @{ 'Split-Path' = @('Leaf') }

# The parameter names a command is called with, resolving unambiguous prefixes (-AsHash).
function Find-Parameter($command, [string]$name) {
    $commandName = $command.GetCommandName()
    foreach ($element in $command.CommandElements) {
        if ($element -is [System.Management.Automation.Language.CommandParameterAst]) {
            $given = $element.ParameterName
            if ($commandName -and $fullNames51.ContainsKey($commandName) -and $fullNames51[$commandName] -contains $given -and $given -ne $name) { continue }
            if ($given.Length -ge 2 -and $name.StartsWith($given, [StringComparison]::OrdinalIgnoreCase)) { return $element }
        }
    }
    return $null
}

$results = foreach ($path in $paths) {
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile([string]$path, [ref]$tokens, [ref]$errors)
    $violations = New-Object System.Collections.Generic.List[object]
    $all = $ast.FindAll({ $true }, $true)
    foreach ($node in $all) {
        $type = $node.GetType().Name
        switch ($type) {
            'TernaryExpressionAst' { Add-Violation $violations $node 'the ternary operator ?: (PowerShell 7 only)' }
            'PipelineChainAst' { Add-Violation $violations $node 'a pipeline chain && or || (PowerShell 7 only)' }
            'BinaryExpressionAst' {
                if ($node.Operator -eq [System.Management.Automation.Language.TokenKind]::QuestionQuestion) { Add-Violation $violations $node 'the null-coalescing operator ?? (PowerShell 7 only)' }
            }
            'AssignmentStatementAst' {
                if ($node.Operator -eq [System.Management.Automation.Language.TokenKind]::QuestionQuestionEquals) { Add-Violation $violations $node 'the null-coalescing assignment ??= (PowerShell 7 only)' }
            }
            { $_ -eq 'MemberExpressionAst' -or $_ -eq 'InvokeMemberExpressionAst' } {
                if ($node.NullConditional) { Add-Violation $violations $node 'null-conditional member access ?. (PowerShell 7 only)' }
            }
            'IndexExpressionAst' {
                if ($node.NullConditional) { Add-Violation $violations $node 'null-conditional index ?[] (PowerShell 7 only)' }
            }
            'ScriptBlockAst' {
                if ($null -ne $node.CleanBlock) { Add-Violation $violations $node.CleanBlock 'a clean block (PowerShell 7.3 only)' }
            }
            'VariableExpressionAst' {
                $name = $node.VariablePath.UserPath
                if ($sevenOnlyVariables -contains $name) { Add-Violation $violations $node "the automatic variable `$$name (PowerShell 7 only; it is `$null on 5.1)" }
            }
            'CommandAst' {
                $name = $node.GetCommandName()
                if (-not $name) { break }
                if ($sevenOnlyCommands -contains $name) { Add-Violation $violations $node "the cmdlet $name (PowerShell 7 only)" }
                foreach ($pair in $sevenOnlyParameters) {
                    if ($name -eq $pair[0]) {
                        $parameter = Find-Parameter $node $pair[1]
                        if ($parameter) { Add-Violation $violations $parameter "$($pair[0]) -$($pair[1]) (PowerShell 7 only)" }
                    }
                }
                $encoding = Find-Parameter $node 'Encoding'
                if ($encoding) {
                    $index = $node.CommandElements.IndexOf($encoding)
                    $value = if ($encoding.Argument) { $encoding.Argument } elseif ($index + 1 -lt $node.CommandElements.Count) { $node.CommandElements[$index + 1] } else { $null }
                    if ($value -is [System.Management.Automation.Language.StringConstantExpressionAst] -and ($sevenOnlyEncodings -contains $value.Value)) {
                        Add-Violation $violations $value "-Encoding $($value.Value) (PowerShell 7 only; 5.1 knows UTF8, Unicode, ASCII, Default, ...)"
                    }
                }
            }
        }
    }
    $parseErrors = New-Object System.Collections.Generic.List[object]
    foreach ($e in $errors) { $parseErrors.Add([ordered]@{ line = $e.Extent.StartLineNumber; message = $e.Message }) }
    [pscustomobject]@{ path = [string]$path; parseErrors = $parseErrors.ToArray(); violations = $violations.ToArray() }
}
[ordered]@{ files = @($results) } | ConvertTo-Json -Depth 6 -Compress
