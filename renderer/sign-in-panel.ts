/**
 * The panel a browser page shows when it is not signed in to the headless server: why, and a
 * field for the one-time code that `eems-watch serve` printed. It replaces nothing of the views;
 * it sits on top until the sign-in works, then the page reloads signed in.
 */
import { html, setHtml } from './dom.js';
import { signInWithCode } from './browser-session.js';

let panel: HTMLElement | null = null;

/** Show (or update) the sign-in panel with this reason. */
export function showSignInPanel(reason: string): void {
  if (!panel) {
    panel = document.createElement('section');
    panel.id = 'sign-in';
    panel.className = 'sign-in-panel';
    panel.setAttribute('role', 'alertdialog');
    panel.setAttribute('aria-labelledby', 'sign-in-title');
    document.body.prepend(panel);
  }
  setHtml(
    panel,
    html`<h2 id="sign-in-title">Sign in to EEMS Watch</h2>
      <p class="sign-in-reason">${reason}</p>
      <form id="sign-in-form">
        <label>One-time code <input name="code" autocomplete="off" spellcheck="false" required></label>
        <button type="submit">Sign in</button>
      </form>`,
  );
  const form = panel.querySelector<HTMLFormElement>('#sign-in-form');
  form?.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = String(new FormData(form).get('code') ?? '').trim();
    void signInWithCode(code).then((problem) => {
      if (problem) showSignInPanel(problem);
      else location.reload();
    });
  });
  panel.querySelector<HTMLInputElement>('input[name="code"]')?.focus();
}
