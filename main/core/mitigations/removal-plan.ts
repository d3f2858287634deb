/**
 * Removal plans: the steps that take a stale or orphaned mitigation off a server in the safe order of
 * Learn ("Remove mitigations after an SU or CU upgrade"): back up the config, block the ID so EEMS
 * does not put it back, remove the artefact, verify. Plans are data; the host runs each step by
 * kind and args (the one shape per kind of action-steps.ts), and every step is idempotent (a
 * second run finds nothing to do; a backup is a new timestamped copy that never overwrites one).
 */
import { parseStepArgs } from './action-steps.js';
import { psString } from './powershell-quote.js';
import { formatBuild, nameBuild, parseBuild, serverBuild } from './builds.js';
import { findMitigation, type Artefact, type KnowledgeBase } from './knowledge-base.js';
import type { MitigationVerdict, ServerState } from '../model.js';
import type { ActionStep } from '../ports.js';
import { findArtefacts, judgeServer, normaliseIdList, type FoundArtefact } from './staleness.js';

/** A plan the UI shows and the engine runs step by step. */
export interface ActionPlan {
  /** Deterministic: the same server, mitigation and state give the same id. */
  id: string;
  server: string | null;
  mitigation: string | null;
  title: string;
  steps: ActionStep[];
  warnings: string[];
  /** The evidence behind a removal: both builds, each fact's source, and who disagrees (every removal plan shows it). */
  evidence?: PlanEvidence;
  /** Server-side checks of the verify step (a rule still in its config file throws), for the copied script. */
  ruleChecks?: string[];
  /** For server plans (server-plans.ts): what the verify step checks on the state collected after the run. */
  expect?: { serviceRunning?: string; notBlocked?: string[]; serverMitigationsEnabled?: boolean };
  /** The verdict the plan was made for: a run re-checks the server against it and refuses on any change. */
  madeFor?: { id: string; family: string; verdict: MitigationVerdict['verdict'] | null };
}

/** Why the mitigation may go: the verdict's builds and sources, carried into the plan. */
export interface PlanEvidence {
  fixedIn: string | null;
  removableFrom: string | null;
  sources: MitigationVerdict['sources'];
  disagreement: string | null;
  appliedBy: MitigationVerdict['appliedBy'];
  /** The applying tool's own way back (EOMT.ps1 -RollbackMitigation), shown as the alternative. */
  alternatives: string[];
}

type PlanResult = { ok: true; plan: ActionPlan } | { ok: false; error: string };

/** A PowerShell single-quoted string literal, safe for any Unicode text (powershell-quote.ts). */
const psQuote = psString;

/** Server names are validated (letters, digits, '-', '.', '_'); anything else is quoted anyway. */
export function psIdentityOf(name: string): string {
  return psIdentity(name);
}

function psIdentity(name: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(name) ? name : psQuote(name);
}

/** FNV-1a 64-bit: a stable, dependency-free fingerprint for plan ids (not a security hash). */
function fingerprint(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const ch of text) {
    hash ^= BigInt(ch.codePointAt(0) ?? 0);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

interface RuleTarget {
  name: string;
  direction: 'inbound' | 'outbound' | 'precondition';
  location: string;
  configFile: 'web.config' | 'applicationHost.config';
  psPath: string;
  /** -Location for rules kept in applicationHost.config under a <location> tag. */
  iisLocation: string | null;
  filter: string;
}

function ruleTarget(found: FoundArtefact, catalogue: Artefact | undefined): RuleTarget {
  const rule = found.rule;
  const cat = catalogue?.type === 'rewrite-rule' ? catalogue : undefined;
  const dirText = (rule?.Direction ?? '').toLowerCase();
  const direction =
    dirText === 'inbound' || dirText === 'outbound' || dirText === 'precondition'
      ? dirText
      : (cat?.direction ?? (/precondition$/i.test(found.name) ? 'precondition' : /outbound$/i.test(found.name) ? 'outbound' : 'inbound'));
  const location = (rule?.Location ?? cat?.location ?? '').replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  const configFile = /applicationhost/i.test(rule?.ConfigFile ?? cat?.configFile ?? '') ? 'applicationHost.config' : 'web.config';
  const serverLevel = location === '' || /^server$/i.test(location) || /^MACHINE\/WEBROOT/i.test(location);
  let psPath: string;
  let iisLocation: string | null = null;
  if (configFile === 'web.config') psPath = `IIS:\\Sites\\${location.replace(/\//g, '\\')}`;
  else {
    psPath = 'MACHINE/WEBROOT/APPHOST';
    if (!serverLevel) iisLocation = location;
  }
  const filter =
    direction === 'precondition'
      ? 'system.webServer/rewrite/outboundRules/preConditions'
      : direction === 'outbound'
        ? 'system.webServer/rewrite/outboundRules'
        : configFile === 'applicationHost.config' && serverLevel
          ? 'system.webServer/rewrite/globalRules'
          : 'system.webServer/rewrite/rules';
  return { name: found.name, direction, location: serverLevel && configFile === 'applicationHost.config' ? '' : location, configFile, psPath, iisLocation, filter };
}

function locationArg(t: RuleTarget): string {
  return t.iisLocation ? ` -Location ${psQuote(t.iisLocation)}` : '';
}

/** What run-step.ps1 does: a timestamped copy next to the file, so a re-run never overwrites a backup. */
function backupStep(server: string, t: RuleTarget): ActionStep {
  const file =
    t.configFile === 'web.config'
      ? `(Get-WebConfigFile -PSPath ${psQuote(t.psPath)}).FullName`
      : `"$env:windir\\System32\\inetsrv\\config\\applicationHost.config"`;
  return {
    kind: 'backup-config',
    server,
    channel: 'server',
    args: { location: t.location, configFile: t.configFile },
    description: `On ${server} itself (WebAdministration, over WinRM): back up the ${t.configFile} of ${t.location || 'the server'} before changing it (kept next to it as ${t.configFile}.<date-time>.bak; the result names the exact file made).`,
    powershell: `$f = ${file}; Copy-Item -LiteralPath $f -Destination ('{0}.{1}.bak' -f $f, (Get-Date).ToString('yyyyMMdd-HHmmss'))`,
  };
}

function removeRuleStep(server: string, t: RuleTarget): ActionStep {
  const what = t.direction === 'precondition' ? 'preCondition' : `${t.direction} rewrite rule`;
  return {
    kind: 'remove-rewrite-rule',
    server,
    channel: 'server',
    args: { name: t.name, direction: t.direction, location: t.location, configFile: t.configFile },
    description: `On ${server} itself (WebAdministration, over WinRM): remove the ${what} '${t.name}' from ${t.configFile} (${t.location || 'server level'}).`,
    powershell:
      `Remove-WebConfigurationProperty -PSPath ${psQuote(t.psPath)}${locationArg(t)} -Filter ${psQuote(t.filter)} ` +
      `-Name '.' -AtElement @{name=${psQuote(t.name)}}`,
  };
}

/** The check that the rule is gone from its config file: throws while it is still there. */
function ruleCheck(t: RuleTarget): string {
  return (
    `if (@(Get-WebConfiguration -PSPath ${psQuote(t.psPath)}${locationArg(t)} -Filter ${psQuote(`${t.filter}/*`)} | Where-Object { $_.name -eq ${psQuote(t.name)} }).Count -gt 0) ` +
    `{ throw ${psQuote(`${t.name} is still in ${t.configFile} (${t.location || 'server level'}).`)} }`
  );
}

function startStep(server: string, found: FoundArtefact): ActionStep {
  if (found.kind === 'app-pool') {
    return {
      kind: 'start-app-pool',
      server,
      channel: 'server',
      args: { name: found.name },
      description: `On ${server} itself (WebAdministration, over WinRM): start the IIS application pool ${found.name} (the mitigation stopped it).`,
      powershell: `Start-WebAppPool -Name ${psQuote(found.name)}`,
    };
  }
  const disabled = /^disabled$/i.test(found.service?.StartType ?? '');
  return {
    kind: 'start-service',
    server,
    channel: 'server',
    args: disabled ? { name: found.name, startType: 'Automatic' } : { name: found.name },
    description: `On ${server} itself (over WinRM): start the service ${found.name}${disabled ? ' and set it back to Automatic' : ''} (the mitigation stopped it).`,
    powershell: `${disabled ? `Set-Service -Name ${psQuote(found.name)} -StartupType Automatic; ` : ''}Start-Service -Name ${psQuote(found.name)}`,
  };
}

/** Deterministic from the server, the mitigation and the state the plan was made from. */
function planId(server: ServerState, verdict: MitigationVerdict, found: FoundArtefact[]): string {
  const sb = serverBuild(server);
  const upper = (list: unknown) => normaliseIdList(list).map((x) => x.toUpperCase()).sort();
  return `rm-${fingerprint(
    JSON.stringify({
      server: server.Name.toUpperCase(),
      mitigation: verdict.id.toUpperCase(),
      verdict: verdict.verdict,
      artefacts: found.map((a) => `${a.kind}:${a.name}:${a.rule?.Location ?? ''}:${a.rule?.ConfigFile ?? ''}`).sort(),
      applied: upper(server.MitigationsApplied),
      blocked: upper(server.MitigationsBlocked),
      build: sb.build ? formatBuild(sb.build) : null,
    }),
  )}`;
}

/** The IDs a block writes (K9): the family and the exact applied ID, as Microsoft's guidance blocks both. */
export function idsToBlock(family: string, appliedId: string): string[] {
  return appliedId.trim().toUpperCase() === family.toUpperCase() ? [family] : [family, appliedId.trim()];
}

/**
 * Set-ExchangeServer replaces the whole list, so the step carries the complete new one: what is
 * already blocked, plus the family and the exact applied ID (K9); hosts add its IDs to the list
 * they find, so a block added since the plan was made is kept.
 */
function blockStep(server: string, family: string, appliedId: string, blocked: string[]): ActionStep {
  const have = new Set(blocked.map((b) => b.toUpperCase()));
  const list = [...blocked, ...idsToBlock(family, appliedId).filter((id) => !have.has(id.toUpperCase()))];
  return {
    kind: 'block-mitigation',
    server,
    channel: 'exchange',
    args: { mitigation: family, mitigationsBlocked: list },
    description: `Through Exchange's remote PowerShell endpoint (Set-ExchangeServer): block ${idsToBlock(family, appliedId).join(' and ')} on ${server} so EEMS does not apply it again. Set-ExchangeServer replaces the whole list, so the new list keeps what was blocked: ${list.join(', ')}.`,
    powershell: `Set-ExchangeServer -Identity ${psIdentity(server)} -MitigationsBlocked @(${list.map(psQuote).join(',')})`,
  };
}

function refusal(server: ServerState, verdict: MitigationVerdict, kb: KnowledgeBase): string {
  const entry = findMitigation(kb, verdict.family);
  const cve = entry?.cve ?? verdict.family;
  const fix = verdict.fixedIn ? ` (${verdict.fixedIn} or later)` : '';
  switch (verdict.verdict) {
    case 'heartbeat':
      return `${verdict.id} is the EEMS heartbeat and changes nothing on ${server.Name}; there is nothing to remove.`;
    case 'active':
      if (/^Fix installed|: fix installed/i.test(verdict.reason) && verdict.removableFrom) {
        const from = parseBuild(verdict.removableFrom);
        const named = from ? nameBuild(from, kb) : null;
        const update = named?.exact && named.update ? `the ${named.update} (${verdict.removableFrom})` : verdict.removableFrom;
        return `${verdict.id} must stay on ${server.Name}: the fix is installed, but Microsoft advises keeping ${verdict.family} until ${update}. Install that update first; it can be removed then.`;
      }
      if (/: fix installed/i.test(verdict.reason)) {
        return `${verdict.id} must stay on ${server.Name}: the fix is installed, but no removal guidance is known for ${verdict.family}. Wait for a knowledge update that names the build from which it can go.`;
      }
      return `${verdict.id} is still needed on ${server.Name}: its fix${fix} is not installed. Install the update first; EEMS then stops applying it and it can be removed.`;
    case 'orphan-unfixed':
      return `The ${verdict.family} artefact on ${server.Name} still protects it: the fix${fix} is not installed, so the server is exposed to ${cve} if it goes. Install the SU first, then remove it.`;
    case 'blocked':
      return `${verdict.id} is blocked on ${server.Name} and there is nothing EEMS Watch may remove: either nothing is left, or the fix is not installed and the artefact still protects the server.`;
    default:
      return `${verdict.id} on ${server.Name} is not removable (${verdict.verdict}).`;
  }
}

/**
 * The plan that removes one stale-applied or orphan-artefact mitigation from a server; anything
 * else is refused with a sentence saying why.
 */
export function planRemoval(server: ServerState, verdict: MitigationVerdict, kb: KnowledgeBase): PlanResult {
  if (server.Error) return { ok: false, error: `${server.Name} could not be read (${server.Error}); collect its state again before planning a removal.` };
  // Judged again here from the server and the knowledge, never taken from the caller's verdict alone:
  // a removal is offered only at or above removableFrom.
  const fresh = judgeServer(server, kb).find((v) => v.id.toUpperCase() === verdict.id.toUpperCase());
  if (!fresh || !fresh.removable || fresh.verdict !== verdict.verdict) {
    return { ok: false, error: fresh ? refusal(server, fresh, kb) : `${verdict.id} is no longer on ${server.Name}; collect its state again.` };
  }
  if (!verdict.removable || (verdict.verdict !== 'stale-applied' && verdict.verdict !== 'orphan-artefact')) {
    return { ok: false, error: refusal(server, verdict, kb) };
  }
  const entry = findMitigation(kb, verdict.family);
  const family = entry?.id ?? verdict.family;
  const blocked = normaliseIdList(server.MitigationsBlocked);
  const wanted = new Set(verdict.artefacts.map((n) => n.trim().toLowerCase()));
  const found = findArtefacts(server, kb).filter((a) => wanted.has(a.name.trim().toLowerCase()));
  const id = planId(server, verdict, found);

  const steps: ActionStep[] = [];
  const warnings: string[] = [];
  const rules = found
    .filter((a) => a.kind === 'rewrite-rule')
    .map((a) => ruleTarget(a, entry?.artefacts.find((c) => c.type === 'rewrite-rule' && c.name.toLowerCase() === a.name.toLowerCase())))
    // A rule refers to its preCondition: remove the rules first so the config stays valid in between.
    .sort((a, b) => Number(a.direction === 'precondition') - Number(b.direction === 'precondition'));
  const configs = new Map<string, RuleTarget>();
  for (const t of rules) configs.set(`${t.configFile}|${t.psPath}|${t.iisLocation ?? ''}`, t);
  for (const t of configs.values()) steps.push(backupStep(server.Name, t));

  // Only a stale-applied mitigation is still sent by EEMS for this build; an orphan's fix is installed
  // and EEMS already dropped it, so blocking it would only hide a future mitigation of the family.
  const toBlock = idsToBlock(family, verdict.id);
  const alreadyBlocked = toBlock.every((id) => blocked.some((b) => b.toUpperCase() === id.toUpperCase()));
  if (verdict.verdict === 'stale-applied' && !alreadyBlocked) {
    steps.push(blockStep(server.Name, family, verdict.id, blocked));
    warnings.push(
      `${family} stays in MitigationsBlocked on ${server.Name} after this plan: EEMS will not apply any ${family} mitigation there until you take it off the list.`,
    );
  }
  for (const t of rules) steps.push(removeRuleStep(server.Name, t));
  for (const a of found.filter((x) => x.kind !== 'rewrite-rule')) steps.push(startStep(server.Name, a));
  const verifyArgs: ActionStep['args'] = { mitigation: family, absentRules: rules.map((t) => t.name) };
  if (verdict.verdict === 'stale-applied') verifyArgs.expectBlocked = toBlock;
  steps.push({
    kind: 'verify',
    server: server.Name,
    channel: 'exchange',
    args: verifyArgs,
    description: `Collect ${server.Name} again (the rules from its web.config / applicationHost.config on the server, MitigationsBlocked through Exchange's remote PowerShell) and check that ${found.length > 0 ? `${found.map((a) => a.name).join(', ')} ${found.length === 1 ? 'is' : 'are'} gone` : `nothing of ${family} is left`}${verdict.verdict === 'stale-applied' ? ` and that ${toBlock.join(' and ')} ${toBlock.length > 1 ? 'are' : 'is'} blocked` : ''}.`,
    powershell: `Get-ExchangeServer -Identity ${psIdentity(server.Name)} | Format-List Name,MitigationsApplied,MitigationsBlocked`,
  });

  if (rules.some((t) => t.configFile === 'web.config')) {
    warnings.push(`Changing a web.config restarts that IIS application on ${server.Name} (${[...new Set(rules.map((t) => t.location))].join(', ')}): users may have to reload the page.`);
  }
  if (rules.some((t) => t.configFile === 'applicationHost.config')) {
    warnings.push(`applicationHost.config holds the settings of every site on ${server.Name}; it is backed up first.`);
  }
  if (found.length === 0) warnings.push(`No artefact of ${family} was found on ${server.Name}: the plan only blocks it.`);
  // A name read from the server that no host would accept (a control character in a rule name, say)
  // is refused here, before the admin sees a plan that cannot run.
  for (const step of steps) {
    const checked = parseStepArgs(step);
    if (!checked.ok) return { ok: false, error: `The plan for ${verdict.id} on ${server.Name} cannot be run: ${step.kind} ${checked.error} Remove it by hand in IIS Manager or the Services console.` };
  }
  const what = verdict.verdict === 'stale-applied' ? `stale ${verdict.id}` : `leftover ${family} artefacts`;
  const alternatives = [...new Set(found.map((a) => a.catalogue?.rollback).filter((r): r is string => !!r))];
  const evidence: PlanEvidence = { fixedIn: verdict.fixedIn, removableFrom: verdict.removableFrom, sources: verdict.sources, disagreement: verdict.disagreement, appliedBy: verdict.appliedBy, alternatives };
  const madeFor = { id: verdict.id, family, verdict: verdict.verdict };
  const ruleChecks = rules.map(ruleCheck);
  return { ok: true, plan: { id, server: server.Name, mitigation: verdict.id, title: `Remove ${what} from ${server.Name}`, steps, warnings, evidence, madeFor, ruleChecks } };
}

/** The plan that turns automatic mitigation back on for the whole organisation. */
export function planOrgReenable(): ActionPlan {
  return {
    id: 'org-reenable-mitigations',
    server: null,
    mitigation: null,
    title: 'Turn EEMS mitigations back on for the organisation',
    steps: [
      {
        kind: 'set-org-mitigations-enabled',
        server: null,
        channel: 'exchange',
        args: { enabled: true },
        description: 'Set MitigationsEnabled to True on the organisation, so EEMS applies mitigations again on every server that allows it.',
        powershell: 'Set-OrganizationConfig -MitigationsEnabled $true',
      },
      {
        kind: 'verify',
        server: null,
        channel: 'exchange',
        args: { orgMitigationsEnabled: true },
        description: 'Read the organisation config again and check that MitigationsEnabled is True.',
        powershell: 'Get-OrganizationConfig | Format-List MitigationsEnabled',
      },
    ],
    warnings: [
      'Within about an hour, every server whose own MitigationsEnabled is True applies every mitigation Microsoft publishes for its build, including rewrite rules that change what users see (for example the CSP header of M2 on OWA).',
      'Servers where you set MitigationsEnabled to False stay off: the organisation setting does not override them.',
    ],
  };
}

/**
 * Check a server collected after a removal plan ran: no artefact of the plan is left, and the family
 * is blocked when the plan blocked it.
 */
export function verifyRemoval(plan: ActionPlan, after: ServerState, kb: KnowledgeBase): { ok: boolean; message: string } {
  if (!plan.server) return { ok: false, message: 'This plan changes the organisation, not a server: read Get-OrganizationConfig to check it.' };
  if (after.Name.toLowerCase() !== plan.server.toLowerCase()) {
    return { ok: false, message: `The state given is of ${after.Name}, but the plan ran on ${plan.server}: collect ${plan.server} again.` };
  }
  if (after.Error) return { ok: false, message: `${plan.server} could not be read after the removal (${after.Error}); collect it again to check.` };
  const planned = new Set(
    plan.steps.filter((s) => s.kind === 'remove-rewrite-rule' || s.kind === 'start-app-pool' || s.kind === 'start-service').map((s) => String(s.args.name).toLowerCase()),
  );
  const left = findArtefacts(after, kb).filter((a) => planned.has(a.name.toLowerCase())).map((a) => a.name);
  const verify = plan.steps.find((s) => s.kind === 'verify');
  const block = plan.steps.find((s) => s.kind === 'block-mitigation');
  const expected = Array.isArray(verify?.args.expectBlocked) ? verify.args.expectBlocked.map(String) : block ? [String(block.args.mitigation)] : [];
  const have = normaliseIdList(after.MitigationsBlocked).map((b) => b.toUpperCase());
  const missingBlocks = expected.filter((id) => !have.includes(id.toUpperCase()));
  const family = expected.length > 0 ? expected.join(' and ') : null;
  const notBlocked = missingBlocks.length > 0;
  if (left.length === 0 && !notBlocked) {
    const tail = family ? ` and ${family} ${expected.length > 1 ? 'are' : 'is'} blocked, so EEMS will not apply it again` : '';
    return { ok: true, message: `${plan.mitigation ?? 'The mitigation'} is gone from ${plan.server}: no artefact is left${tail}.` };
  }
  const problems = [
    ...(left.length > 0 ? [`still on ${plan.server}: ${left.join(', ')}`] : []),
    ...(notBlocked ? [`${missingBlocks.join(' and ')} ${missingBlocks.length > 1 ? 'are' : 'is'} not in MitigationsBlocked`] : []),
  ];
  return { ok: false, message: `Not finished: ${problems.join('; ')}. Run the plan again; every step skips what is already done.` };
}
