/**
 * The Heartbeat view: per server, the last 7 days as 24 hourly cells a day (CSS grid), each what
 * the engine recorded the hour was: fetched, fetch failed, crashed, service stopped, silent while
 * running, no data (before the first read) or not yet. Problems are red or amber; each state also
 * has a letter, so the picture reads without colour. Hours are UTC.
 */
import { age, countOf, html, setHtml } from '../dom.js';
import type { View } from '../app-context.js';
import type { HeartbeatView } from '../types.js';

type CellState = HeartbeatView['days'][number]['hours'][number]['state'];

/** Words and letter of each state, in the legend's order. */
const STATES: Record<CellState, { words: string; letter: string }> = {
  ok: { words: 'fetched', letter: '' },
  failed: { words: 'fetch failed', letter: 'F' },
  crashed: { words: 'service crashed', letter: 'C' },
  stopped: { words: 'service stopped', letter: 'S' },
  silent: { words: 'silent while running', letter: '?' },
  missed: { words: 'missed', letter: 'M' },
  'no-data': { words: 'no data (before the first read)', letter: '' },
  future: { words: 'not yet', letter: '' },
};
const LEGEND: CellState[] = ['ok', 'failed', 'crashed', 'stopped', 'silent', 'no-data', 'future'];

function cell(state: CellState, title: string, hour = ''): ReturnType<typeof html> {
  return html`<span class="hb-cell hb-${state}" data-state="${state}"${hour ? html` data-hour="${hour}"` : ''} title="${title}">${STATES[state].letter}</span>`;
}

function grid(server: HeartbeatView): ReturnType<typeof html> {
  const hours = Array.from({ length: 24 }, (_, h) => html`<span class="hb-hour">${h % 6 === 0 ? String(h).padStart(2, '0') : ''}</span>`);
  return html`<figure class="heartbeat" data-server="${server.server}" data-missed="${server.missed}">
<figcaption><strong>${server.server}</strong> · last fetch ${age(server.lastCycleAt)} · <span class="${server.missed > 0 ? 'missed-count' : ''}">${countOf(server.missed, 'hour')} without a working fetch</span></figcaption>
<div class="hb-grid" role="img" aria-label="${`${server.server}: ${countOf(server.missed, 'hour')} without a working fetch in ${countOf(server.days.length, 'day')}`}">
<span class="hb-day"></span>${hours}
${server.days.map((day) => html`<span class="hb-day">${day.date.slice(5)}</span>${day.hours.map((c) => {
    const hh = String(c.hour).padStart(2, '0');
    return cell(c.state, `${day.date} ${hh}:00 UTC: ${STATES[c.state].words}`, `${day.date}T${hh}`);
  })}`)}
</div></figure>`;
}

/** The Heartbeat view. */
export const heartbeatView: View = {
  name: 'heartbeat',
  title: 'Heartbeat',
  async render(ctx, root) {
    const result = await ctx.call('getHeartbeat', { days: 7 });
    if (!result) return;
    const legend = LEGEND.map((s) => html`<span class="hb-legend-item">${cell(s, STATES[s].words)} ${STATES[s].words}</span>`);
    setHtml(root, html`<h2>Heartbeat</h2><p class="legend">${legend} <span class="sub">(hours in UTC)</span></p>
${result.servers.length === 0 ? html`<p class="empty">No servers.</p>` : result.servers.map(grid)}`);
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'state-changed') ctx.rerender('heartbeat');
  },
};
