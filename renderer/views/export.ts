/** The Export view: the servers view and the timeline as CSV or JSON files. */
import { html, setHtml } from '../dom.js';
import type { View } from '../app-context.js';
import type { ExportFile } from '../types.js';

/** Hand a file to the browser's download (a Blob URL: works in a browser and in Electron). */
export function downloadFile(file: ExportFile): void {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The Export view. */
export const exportView: View = {
  name: 'export',
  title: 'Export',
  async render(_ctx, root) {
    const button = (what: string, format: string, label: string) =>
      html`<button type="button" data-what="${what}" data-format="${format}">${label}</button>`;
    setHtml(root, html`<h2>Export</h2>
<section><h3>Servers view</h3><p>Every server with its build, EEMS settings and each mitigation's verdict.</p>${button('servers', 'csv', 'Servers as CSV')} ${button('servers', 'json', 'Servers as JSON')}</section>
<section><h3>Timeline</h3><p>Every alert and action in the journal.</p>${button('alerts', 'csv', 'Timeline as CSV')} ${button('alerts', 'json', 'Timeline as JSON')}</section>`);
  },
  bind(ctx, root) {
    root.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-what]');
      if (!button) return;
      const what = button.dataset.what === 'alerts' ? 'alerts' : 'servers';
      const format = button.dataset.format === 'json' ? 'json' : 'csv';
      void ctx.call('exportData', { what, format }).then((file) => file && downloadFile(file));
    });
  },
};
