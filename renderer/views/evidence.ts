/**
 * A mitigation's verdict with the facts behind it (issue 11.1): what it protects, what users lose,
 * the fixed and removable-from builds, each fact with its source link and confidence, where the
 * sources disagree, and who applied it. Where a fact is unknown, a sentence says so.
 */
import { html, safeHref, type SafeHtml } from '../dom.js';
import type { EvidenceSource, MitigationView } from '../types.js';
import { VERDICT_WORDS } from './servers-model.js';

const CONFIDENCE: Record<EvidenceSource['confidence'], string> = { confirmed: 'CONFIRMED', 'third-party': '3RD-PARTY', inferred: 'INFERRED' };
const WHAT: Record<EvidenceSource['what'], string> = { fixedIn: 'Fixed in', removableFrom: 'Removable from' };

/** A verdict badge ("orphaned rule"), coloured by verdict. */
export function verdictBadge(m: Pick<MitigationView, 'id' | 'verdict'>, withId = false): SafeHtml {
  return html`<span class="badge verdict v-${m.verdict}" data-mitigation="${m.id}" data-verdict="${m.verdict}">${withId ? html`<span class="mid">${m.id}</span> ` : ''}${VERDICT_WORDS[m.verdict] ?? m.verdict}</span>`;
}

function sourceItem(s: EvidenceSource): SafeHtml {
  const href = s.url ? safeHref(s.url) : '#';
  const name = href !== '#' ? html`<a href="${href}" target="_blank" rel="noreferrer noopener">${s.source}</a>` : html`${s.source}`;
  return html`<li data-what="${s.what}"><span class="label">${WHAT[s.what] ?? s.what}:</span> ${s.build ?? 'no build named for this CU line'} · ${name}${s.date ? ` (${s.date})` : ''} <span class="conf conf-${s.confidence}">[${CONFIDENCE[s.confidence] ?? s.confidence}]</span></li>`;
}

/** The builds and their evidence; sentences where the knowledge base has none. */
function factsHtml(m: MitigationView): SafeHtml {
  if (m.verdict === 'heartbeat') return html`<p class="facts sub">PING1 changes nothing on the server: there is nothing to fix or remove.</p>`;
  const sources = Array.isArray(m.sources) ? m.sources : [];
  const fixed = m.fixedIn ? html`<b>${m.fixedIn}</b>` : html`<b>not known</b> for this server's CU line`;
  const removable = m.removableFrom
    ? html`<b>${m.removableFrom}</b>`
    : html`<b>not in the knowledge base</b>${m.fixedIn ? ' (so the verdict keeps the mitigation)' : ''}`;
  const list = sources.length
    ? html`<ul class="sources">${sources.map(sourceItem)}</ul>`
    : html`<p class="sub unknown-fact" data-role="no-sources">The knowledge base names no source for these builds yet: treat them as unconfirmed.</p>`;
  return html`<div class="facts"><p>Fixed in ${fixed} · removable from ${removable}</p>${list}
${m.disagreement ? html`<p class="disagreement" data-role="disagreement"><strong>Sources disagree:</strong> ${m.disagreement}</p>` : ''}</div>`;
}

const APPLIED_BY: Record<string, string> = { EEMS: 'applied by EEMS', EOMT: "applied by EOMT (Microsoft's on-premises mitigation tool)", unknown: 'applied by an unknown tool (recognised by what the rule does)' };

/** One mitigation in full: for a server row's details and the server page. */
export function mitigationDetailHtml(m: MitigationView): SafeHtml {
  return html`<article class="mitigation" data-mitigation="${m.id}" data-verdict="${m.verdict}">
<h4><span class="mid">${m.id}</span> ${verdictBadge(m)}${m.cve ? html` <span class="cve">${m.cve}</span>` : ''}${m.appliedBy ? html` <span class="applied-by" data-applied-by="${m.appliedBy}">${APPLIED_BY[m.appliedBy] ?? m.appliedBy}</span>` : ''}</h4>
${m.title ? html`<p class="mit-title">${m.title}</p>` : ''}
<p><span class="label">Verdict:</span> ${m.reason}</p>
<p><span class="label">Protects against:</span> ${m.protectsAgainst ?? 'not in the knowledge base.'}</p>
<p><span class="label">Users lose while it is applied:</span> ${m.userImpact ?? 'not in the knowledge base.'}</p>
${m.artefacts.length ? html`<p><span class="label">On the server:</span> ${m.artefacts.join(', ')}</p>` : ''}
${factsHtml(m)}</article>`;
}
