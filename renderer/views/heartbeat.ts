/**
 * The Heartbeat view: per server, the last 7 days as a picture of 24 hourly cells a day (CSS
 * grid), each cell one hour of EEMS fetch cycles, exactly as the engine recorded it: cycle seen,
 * missed (the log covers the hour and it held none), no data, or not yet over. Hours are UTC.
 */
import { age, html, setHtml } from '../dom.js';
import type { View } from '../app-context.js';
import type { HeartbeatView } from '../types.js';

const STATE_WORDS = { ok: 'cycle seen', missed: 'MISSED', future: 'not yet', 'no-data': 'no data' } as const;

function grid(server: HeartbeatView): ReturnType<typeof html> {
  const hours = Array.from({ length: 24 }, (_, h) => html`<span class="hb-hour">${h % 6 === 0 ? String(h).padStart(2, '0') : ''}</span>`);
  return html`<figure class="heartbeat" data-server="${server.server}" data-missed="${server.missed}">
<figcaption><strong>${server.server}</strong> · last cycle ${age(server.lastCycleAt)} · <span class="${server.missed > 0 ? 'missed-count' : ''}">${server.missed} missed</span></figcaption>
<div class="hb-grid" role="img" aria-label="${`${server.server}: ${server.missed} missed hourly cycles in ${server.days.length} days`}">
<span class="hb-day"></span>${hours}
${server.days.map((day) => html`<span class="hb-day">${day.date.slice(5)}</span>${day.hours.map((cell) => {
    const hour = `${day.date}T${String(cell.hour).padStart(2, '0')}`;
    return html`<span class="hb-cell hb-${cell.state}" data-hour="${hour}" title="${`${day.date} ${String(cell.hour).padStart(2, '0')}:00 UTC: ${STATE_WORDS[cell.state]}`}"></span>`;
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
    setHtml(root, html`<h2>Heartbeat</h2><p class="legend"><span class="hb-cell hb-ok"></span> cycle seen <span class="hb-cell hb-missed"></span> missed <span class="hb-cell hb-no-data"></span> no data <span class="hb-cell hb-future"></span> not yet (hours in UTC)</p>
${result.servers.length === 0 ? html`<p class="empty">No servers.</p>` : result.servers.map(grid)}`);
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'state-changed') ctx.rerender('heartbeat');
  },
};
