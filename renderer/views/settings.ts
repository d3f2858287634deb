/**
 * The Settings view: servers, connection (local shell or remoting URI), poll intervals,
 * notification preferences with quiet hours, the knowledge-base override file. The main side
 * validates (parseSettings); its message names the field at fault and is shown as is. A save
 * applies at once, except the fields updateSettings names as waiting for a restart (connection,
 * knowledge-base override).
 */
import { html, setHtml } from '../dom.js';
import type { View } from '../app-context.js';
import type { Settings, SettingsUpdate } from '../types.js';
import { sessionEnd, signOut } from '../browser-session.js';
import { showSignInPanel } from '../sign-in-panel.js';

let current: Settings | null = null;

function field(label: string, name: string, value: string | number, attrs: { type?: string; min?: number; max?: number; step?: number } = {}): ReturnType<typeof html> {
  return html`<label>${label} <input name="${name}" type="${attrs.type ?? 'text'}" value="${String(value)}"${attrs.min !== undefined ? html` min="${attrs.min}"` : ''}${attrs.max !== undefined ? html` max="${attrs.max}"` : ''}${attrs.step !== undefined ? html` step="${attrs.step}"` : ''}></label>`;
}

function check(label: string, name: string, value: boolean): ReturnType<typeof html> {
  return html`<label class="check"><input name="${name}" type="checkbox"${value ? html` checked` : ''}> ${label}</label>`;
}

function choice(label: string, name: string, value: string, options: string[]): ReturnType<typeof html> {
  return html`<label>${label} <select name="${name}">${options.map((o) => html`<option${o === value ? html` selected` : ''}>${o}</option>`)}</select></label>`;
}

/** A setting shown, never sent: the transport refuses changes to it (transport-guard.ts). */
function locked(label: string, value: string): ReturnType<typeof html> {
  return html`<label>${label} <input type="text" value="${value}" readonly aria-readonly="true" class="locked"></label>`;
}

/** The servers the lab simulates, listed read-only in demo and lab mode (they are not settings). */
function labServers(names: string[]): ReturnType<typeof html> {
  if (names.length === 0) return html``;
  return html`<p class="sub" data-role="lab-servers">Demo/lab mode: EEMS Watch watches the simulated servers ${names.join(', ')}. They come from the lab, not from this list, and cannot be edited here; servers listed here are watched in local or remote mode.</p>`;
}

/** One line of the servers box as an entry, or the sentence saying what is wrong with it. */
function serverLine(line: string, index: number): { name: string; fqdn?: string } | string {
  const parts = line.split(/\s+/);
  if (parts.length > 2) {
    return `Server ${index + 1}: '${line.slice(0, 80)}' has more than a name and an FQDN. Write one server per line as NAME or NAME FQDN (server names have no spaces).`;
  }
  const [name = '', fqdn] = parts;
  return fqdn ? { name, fqdn } : { name };
}

function form(s: Settings, labNames: string[] = []): ReturnType<typeof html> {
  const servers = s.servers.map((e) => [e.name, e.fqdn ?? ''].join(' ').trim()).join('\n');
  return html`<form class="settings" data-role="settings" novalidate>
<fieldset><legend>Servers</legend>${labServers(labNames)}<label>One per line: NAME [FQDN]<textarea name="servers" rows="5" spellcheck="false">${servers}</textarea></label></fieldset>
<fieldset><legend>Connection</legend><p class="sub">Connection changes take effect when EEMS Watch restarts; everything else on this page applies as soon as it is saved.</p>${choice('Mode', 'connection.mode', s.connection.mode, ['lab', 'local', 'remote'])}
${field('Remoting URI ({server} is replaced)', 'connection.remoteUri', s.connection.remoteUri)}
${choice('Authentication', 'connection.authentication', s.connection.authentication, ['Kerberos', 'Negotiate', 'Default'])}</fieldset>
<fieldset><legend>Polling</legend>${field('State every (minutes)', 'poll.stateMinutes', s.poll.stateMinutes, { type: 'number', min: 1, max: 1440 })}
${field('Events every (minutes)', 'poll.eventsMinutes', s.poll.eventsMinutes, { type: 'number', min: 0.25, max: 1440, step: 0.25 })}
${field('Heartbeat grace (minutes)', 'alerts.heartbeatGraceMinutes', s.alerts.heartbeatGraceMinutes, { type: 'number', min: 61 })}
${field('Fetch errors before an alert', 'alerts.fetchErrorThreshold', s.alerts.fetchErrorThreshold, { type: 'number', min: 1, max: 48 })}</fieldset>
<fieldset><legend>Notifications</legend>${check('Desktop notifications', 'notifications.enabled', s.notifications.enabled)}
${choice('At least', 'notifications.minSeverity', s.notifications.minSeverity, ['info', 'warning', 'critical'])}
${check('Quiet hours', 'notifications.quietHours.enabled', s.notifications.quietHours.enabled)}
${field('from', 'notifications.quietHours.start', s.notifications.quietHours.start, { type: 'time' })} ${field('to', 'notifications.quietHours.end', s.notifications.quietHours.end, { type: 'time' })}
<p class="sub" data-role="quiet-hours-note">Quiet hours hold info and warning notifications only: critical alerts (a server EEMS cannot protect) still notify during quiet hours. Held alerts stay in the timeline.</p></fieldset>
<fieldset><legend>Set in the settings file only</legend><p class="sub" data-role="locked-note">These name programs, files, shares or servers that EEMS Watch runs, opens or trusts, so they cannot be changed here: edit them in the settings file (settings.json in EEMS Watch's data folder, or the file given with --config), then restart EEMS Watch.</p>
${locked('PowerShell program', s.connection.powershellPath)}${locked('Knowledge-base override file', s.knowledgeOverrideFile ?? '(none)')}${locked('Proxy', s.proxy ?? '(the system proxy)')}${locked('Log folders', s.servers.filter((e) => e.logFolder).map((e) => `${e.name}: ${e.logFolder ?? ''}`).join('; ') || '(none)')}</fieldset>
<div class="form-buttons"><button type="submit" class="primary">Save settings</button> <span data-role="settings-message" role="status" aria-live="polite"></span></div></form>`;
}

/** Set a dotted path ("poll.stateMinutes") in a plain object. */
function assign(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1] ?? ''] = value;
}

/** The form as a settings document, or the sentence saying which server line is wrong (nothing is sent then). */
function readForm(formEl: HTMLFormElement, base: Settings): Record<string, unknown> | string {
  const next = structuredClone(base) as unknown as Record<string, unknown>;
  for (const el of formEl.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('[name]')) {
    if (el.name === 'servers') continue;
    const input = el as HTMLInputElement;
    const value = input.type === 'checkbox' ? input.checked : input.type === 'number' ? Number(input.value) : input.value;
    assign(next, el.name, value);
  }
  const lines = (formEl.querySelector<HTMLTextAreaElement>('textarea[name="servers"]')?.value ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const entries = lines.map(serverLine);
  const wrong = entries.find((e): e is string => typeof e === 'string');
  if (wrong) return wrong;
  next.servers = (entries as Array<{ name: string; fqdn?: string }>).map(({ name, fqdn }) => {
    const old = base.servers.find((e) => e.name.toLowerCase() === name.toLowerCase());
    const { fqdn: _oldFqdn, ...kept } = old ?? { enabled: true };
    return { ...kept, name, ...(fqdn ? { fqdn } : {}) };
  });
  return next;
}

/** What a save did: applied at once, or which changed fields wait for a restart. */
function savedText(update: SettingsUpdate): string {
  if (update.restartRequired.length === 0) return 'Saved and applied.';
  return `Saved. Applied now, except ${update.restartRequired.join(', ')}: ${update.restartRequired.length === 1 ? 'it takes' : 'they take'} effect when EEMS Watch restarts.`;
}

/** The browser session's part (headless mode only: Electron has no session to end). */
async function sessionSection(): Promise<ReturnType<typeof html>> {
  if (window.eemsApi) return html``;
  const ends = await sessionEnd();
  return html`<section class="session" aria-labelledby="session-title"><h3 id="session-title">This browser's session</h3>
    <p>${ends ? `Signed in. The session ends at ${new Date(ends).toLocaleString()} if nothing else is done, or when you sign out.` : 'Not signed in.'}</p>
    <button type="button" data-role="sign-out">Sign out</button></section>`;
}

/** The Settings view. */
export const settingsView: View = {
  name: 'settings',
  title: 'Settings',
  async render(ctx, root) {
    current = await ctx.call('getSettings', {});
    if (!current) return;
    const overview = current.connection.mode === 'lab' ? await ctx.call('getOverview', {}) : null;
    const labNames = overview ? overview.servers.map((server) => server.name) : [];
    setHtml(root, html`<h2>Settings</h2>${form(current, labNames)}${await sessionSection()}`);
  },
  bind(ctx, root) {
    root.addEventListener('click', (event) => {
      if (!(event.target as Element).closest('[data-role="sign-out"]')) return;
      void signOut().then(() => showSignInPanel('You signed out. To sign in again, run `eems-watch serve` on this machine for a new one-time code.'));
    });
    root.addEventListener('submit', (event) => {
      const formEl = (event.target as Element).closest<HTMLFormElement>('form[data-role="settings"]');
      if (!formEl || !current) return;
      event.preventDefault();
      const message = formEl.querySelector<HTMLElement>('[data-role="settings-message"]');
      const next = readForm(formEl, current);
      if (typeof next === 'string') {
        if (message) {
          message.textContent = `Not saved: ${next}`;
          message.className = 'error';
        }
        return;
      }
      void ctx.api.call('updateSettings', { settings: next }).then((result) => {
        if (!message) return;
        if (result.ok) {
          current = result.value.settings;
          message.textContent = savedText(result.value);
          message.className = 'saved';
        } else {
          message.textContent = result.error.message;
          message.className = 'error';
        }
      });
    });
  },
};
