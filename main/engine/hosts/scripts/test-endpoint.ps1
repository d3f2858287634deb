# test-endpoint.ps1: can this Exchange server reach the mitigation endpoint? Asked of the server
# itself, through its own proxy settings, as the Emergency Mitigation service would fetch it.
#
# What it checks is what Microsoft's own tools check (eems-domain.md sections 3 and 6):
# Test-MitigationServiceConnectivity.ps1 ("Result: Success." when the endpoint is accessible from
# the computer) and HealthChecker's "Pattern service" row (CSS-Exchange Diagnostics/HealthChecker:
# Invoke-JobExchangeInformationLocal.ps1 sends a GET to the endpoint from the server, through
# InternetWebProxy with the default network credentials when one is set, and
# Invoke-AnalyzerSecurityMitigationService.ps1 calls 200 "Reachable", anything else "Unreachable").
# [CONFIRMED: CSS-Exchange sources] Like both, it does NOT check the XML's signature: a server can
# reach the endpoint and still refuse what it sends (signing-cert).
#
# Differences from HealthChecker, and why:
# - System.Net.Http.HttpClient instead of Invoke-WebRequest: the service fetches with HttpClient (the
#   1008 shows AggregateException -> HttpRequestException -> WebException, GRANIKOS-1), so the error
#   chain reads as the 1008 would; and Invoke-WebRequest's -Proxy in PowerShell 7 never proxies a
#   loopback address, which the tests need. Only the headers are read; the body is never downloaded.
# - The WinHTTP proxy is read too (the WinHttpSettings registry value, as netsh winhttp stores it;
#   layout [3RD-PARTY]: flags at offset 8, bit 2 = proxy set, proxy length at 12, ASCII proxy at 16)
#   and reported, because EEMS needs it set to the same proxy (LEARN-EM). The fetch itself goes
#   through InternetWebProxy, the proxy the service uses; without one, through the server's default
#   proxy, as HealthChecker does.
# The certificate chain is validated as always: nothing here turns validation off.
#
# Started by EEMS Watch as
#   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File test-endpoint.ps1
# with the request as JSON on stdin:
#   { mode, connectionUris, authentication, server: 'EX01', computerName: 'ex01.contoso.com',
#     options: { url: 'https://officeclient.microsoft.com/getexchangemitigations', timeoutSeconds: 30 } }
# Prints {"ok":true,"result":{server,checkedAt,reachable,statusCode,url,proxy,error,internetWebProxy,
# winHttpProxy}} (an endpoint that cannot be reached is a result, not an error), or
# {"ok":false,"error":"<sentence>"} when the server itself could not be asked.

. (Join-Path $PSScriptRoot 'eems-common.ps1')

# Runs ON the Exchange server (Invoke-Command). Data comes in only through the parameters.
$onServer = {
    param([string]$Url, [string]$InternetWebProxy, [int]$TimeoutSeconds)
    $ErrorActionPreference = 'Stop'
    $out = @{ reachable = $false; statusCode = $null; proxy = $null; error = $null; winHttpProxy = $null }

    # The WinHTTP proxy as `netsh winhttp show proxy` shows it ("proxy:8080"), or $null for direct
    # access. A missing value or registry (not Windows) also means direct.
    $settings = $null
    try {
        $settings = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections' -Name 'WinHttpSettings' -ErrorAction Stop
    } catch { }
    if ($null -ne $settings -and $null -ne $settings.PSObject.Properties['WinHttpSettings']) {
        [byte[]]$blob = $settings.WinHttpSettings
        if ($blob.Length -ge 16 -and ([BitConverter]::ToInt32($blob, 8) -band 2) -ne 0) {
            $length = [BitConverter]::ToInt32($blob, 12)
            if ($length -gt 0 -and (16 + $length) -le $blob.Length) { $out.winHttpProxy = [System.Text.Encoding]::ASCII.GetString($blob, 16, $length) }
        }
    }

    Add-Type -AssemblyName System.Net.Http
    $uri = New-Object System.Uri -ArgumentList $Url
    $handler = New-Object System.Net.Http.HttpClientHandler
    if ($InternetWebProxy) {
        $proxyUri = $null
        $usable = [System.Uri]::TryCreate($InternetWebProxy, [System.UriKind]::Absolute, [ref]$proxyUri)
        if (-not $usable -or ($proxyUri.Scheme -ne 'http' -and $proxyUri.Scheme -ne 'https')) {
            $out.proxy = $InternetWebProxy
            $out.error = "InternetWebProxy '$InternetWebProxy' is invalid: it is not an absolute http:// address, so the endpoint was not fetched."
            return $out
        }
        # As HealthChecker: the proxy with the default network credentials.
        $webProxy = New-Object System.Net.WebProxy -ArgumentList $proxyUri
        $webProxy.UseDefaultCredentials = $true
        $handler.Proxy = $webProxy
        $handler.UseProxy = $true
        $out.proxy = $proxyUri.AbsoluteUri
    } else {
        # The default proxy HttpClient uses: HttpClient.DefaultProxy on .NET Core (PowerShell 7),
        # WebRequest.DefaultWebProxy on .NET Framework (Windows PowerShell 5.1).
        $property = [System.Net.Http.HttpClient].GetProperty('DefaultProxy')
        $default = $null
        if ($null -ne $property) { $default = $property.GetValue($null) } else { $default = [System.Net.WebRequest]::DefaultWebProxy }
        if ($null -ne $default -and -not $default.IsBypassed($uri)) {
            $via = $default.GetProxy($uri)
            if ($null -ne $via -and $via -ne $uri) { $out.proxy = $via.AbsoluteUri }
        }
    }

    # TLS 1.2 for .NET Framework, as HealthChecker sets it (put back afterwards; .NET Core ignores it).
    $protocols = [Net.ServicePointManager]::SecurityProtocol
    $client = New-Object System.Net.Http.HttpClient -ArgumentList $handler
    try {
        [Net.ServicePointManager]::SecurityProtocol = $protocols -bor [Net.SecurityProtocolType]::Tls12
        $client.Timeout = [TimeSpan]::FromSeconds($TimeoutSeconds)
        $task = $client.GetAsync($uri, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead)
        # Wait() rather than GetResult(): the AggregateException the service's own fetch shows.
        [void]$task.Wait()
        $response = $task.Result
        $out.statusCode = [int]$response.StatusCode
        $out.reachable = ($out.statusCode -eq 200)
        if (-not $out.reachable) { $out.error = "The endpoint answered HTTP $($out.statusCode) ($($response.ReasonPhrase)) instead of 200." }
        $response.Dispose()
    } catch {
        # The whole chain, outermost first, as .NET prints it without the stack frames; PowerShell's
        # own MethodInvocationException wrapper is left out. The first HTTP status found in the
        # chain is kept (a proxy's 407 is one).
        $chain = New-Object System.Collections.ArrayList
        $e = $_.Exception
        for ($depth = 0; $null -ne $e -and $depth -lt 12; $depth++) {
            if (-not ($e -is [System.Management.Automation.MethodInvocationException])) {
                [void]$chain.Add(('{0}: {1}' -f $e.GetType().FullName, $e.Message))
                if ($null -eq $out.statusCode) {
                    if ($null -ne $e.PSObject.Properties['StatusCode'] -and $null -ne $e.StatusCode) {
                        $out.statusCode = [int]$e.StatusCode
                    } elseif ($null -ne $e.PSObject.Properties['Response'] -and $null -ne $e.Response -and $null -ne $e.Response.PSObject.Properties['StatusCode']) {
                        $out.statusCode = [int]$e.Response.StatusCode
                    }
                }
            }
            $e = $e.InnerException
        }
        $out.error = $chain -join ' ---> '
    } finally {
        $client.Dispose()
        [Net.ServicePointManager]::SecurityProtocol = $protocols
    }
    return $out
}

# The endpoint to ask: an absolute http(s) URL from the request (EEMS Watch sends Microsoft's).
function Assert-EemsEndpointUrl([string]$Url) {
    $parsed = $null
    if (-not [System.Uri]::TryCreate($Url, [System.UriKind]::Absolute, [ref]$parsed) -or ($parsed.Scheme -ne 'https' -and $parsed.Scheme -ne 'http')) {
        throw 'The endpoint URL in the request is not an absolute http(s) URL; nothing was run.'
    }
    return $parsed.AbsoluteUri
}

# An option of the request, or $Default when it is absent (StrictMode forbids reading a missing one).
function Get-EemsOption($Request, [string]$Name, $Default) {
    if ($null -eq $Request.PSObject.Properties['options'] -or $null -eq $Request.options) { return $Default }
    $property = $Request.options.PSObject.Properties[$Name]
    if ($null -eq $property -or $null -eq $property.Value) { return $Default }
    return $property.Value
}

$session = $null
try {
    $request = Read-EemsRequest
    $name = Assert-EemsName ([string]$request.server) $script:ServerNamePattern 'server name'
    $url = Assert-EemsEndpointUrl ([string](Get-EemsOption $request 'url' ''))
    $timeout = [int](Get-EemsOption $request 'timeoutSeconds' 30)
    if ($timeout -lt 1 -or $timeout -gt 300) { throw 'The time-out in the request is not between 1 and 300 seconds; nothing was run.' }
    $computer = ''
    if ($null -ne $request.PSObject.Properties['computerName'] -and $request.computerName) { $computer = [string]$request.computerName }

    $session = Connect-EemsExchange $request
    $server = $null
    try {
        $server = Get-ExchangeServer -Identity $name -ErrorAction Stop
    } catch {
        throw "Get-ExchangeServer $name failed, so its proxy setting is unknown and the endpoint was not tested: $($_.Exception.Message)"
    }
    # A System.Uri locally and over remoting; [string] gives "http://proxy:8080/" either way (K10).
    $proxy = $null
    if ($server.InternetWebProxy) { $proxy = [string]$server.InternetWebProxy }
    if (-not $computer) { $computer = [string]$server.Fqdn }

    $remote = $null
    try {
        $remote = @(Invoke-EemsOnServer $computer $onServer @($url, $proxy, $timeout)) | Where-Object { $_ -is [System.Collections.IDictionary] } | Select-Object -Last 1
    } catch {
        throw "$name could not be asked to test the endpoint over WinRM: $($_.Exception.Message) Check that Test-WSMan $computer works from this computer."
    }
    if ($null -eq $remote) { throw "$name ran the endpoint test but returned nothing. Run $PSCommandPath by hand to see its errors." }

    $result = [ordered]@{
        server           = [string]$server.Name
        checkedAt        = Format-EemsUtcTime (Get-Date)
        reachable        = [bool]$remote.reachable
        statusCode       = $(if ($null -eq $remote.statusCode) { $null } else { [int]$remote.statusCode })
        url              = $url
        proxy            = $(if ($remote.proxy) { [string]$remote.proxy } else { $null })
        error            = $(if ($remote.error) { [string]$remote.error } else { $null })
        internetWebProxy = $proxy
        winHttpProxy     = $(if ($remote.winHttpProxy) { [string]$remote.winHttpProxy } else { $null })
    }
    Write-EemsEnvelope @{ ok = $true; result = $result }
} catch {
    Write-EemsEnvelope @{ ok = $false; error = "The endpoint test did not run: $($_.Exception.Message)" }
} finally {
    Disconnect-EemsExchange $session
}
exit $script:EemsExitCode
