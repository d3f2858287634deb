/**
 * How a browser gets signed in without the code ever being part of an address: browsers keep
 * every address they open in their history (a redirect does not erase it), so the one-time code
 * travels in the body of a form POST instead. The server writes a small private page (mode 0600)
 * that posts the code to itself when opened; `--open` opens that file, so a process list shows a
 * file path, never the code. The answer to the POST is the app's own page carrying the session key
 * in a meta element, which the page moves into its storage at once.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeFile, writePrivateFile } from './private-files.js';

const escapeAttr = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The self-submitting page for one code (a button if scripts are off in local files). */
export function signInPageHtml(origin: string, code: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Signing in to EEMS Watch</title></head>
<body>
<form method="post" action="${escapeAttr(`${origin}/`)}"><input type="hidden" name="code" value="${escapeAttr(code)}">
<p>Signing in to EEMS Watch at ${escapeAttr(origin)}...</p><noscript><button type="submit">Sign in to EEMS Watch</button></noscript></form>
<script>document.forms[0].submit();</script>
</body></html>
`;
}

/** The app page with the session key for its script to pick up (the key is URL-safe base64). */
export function pageWithSessionKey(indexHtml: string, key: string): string {
  return indexHtml.replace(/<head>/i, `<head>\n<meta name="eems-session-key" content="${escapeAttr(key)}">`);
}

/** The app page with the reason a sign-in failed, for the sign-in panel to show. */
export function pageWithSignInError(indexHtml: string, message: string): string {
  return indexHtml.replace(/<head>/i, `<head>\n<meta name="eems-sign-in-error" content="${escapeAttr(message)}">`);
}

export interface SignInFile {
  path: string;
  /** file:///... to open in a browser. */
  url: string;
}

export interface SignInFiles {
  /** Write the page for a code; its file is removed when the code is used or lapses. */
  write(code: string): SignInFile;
  /** The code was used (or refused): its page goes. */
  remove(code: string): void;
  /** Remove the pages of codes that are no longer pending. */
  keepOnly(codes: string[]): void;
  removeAll(): void;
}

/** Sign-in pages in a private folder (see private-files.ts). */
export function createSignInFiles(runDir: string, origin: () => string): SignInFiles {
  const files = new Map<string, string>();
  const drop = (code: string): void => {
    const path = files.get(code);
    if (path) removeFile(path);
    files.delete(code);
  };
  return {
    write(code) {
      const path = join(runDir, `sign-in-${randomBytes(6).toString('hex')}.html`);
      writePrivateFile(path, signInPageHtml(origin(), code));
      files.set(code, path);
      return { path, url: pathToFileURL(path).href };
    },
    remove: drop,
    keepOnly(codes) {
      const keep = new Set(codes);
      for (const code of [...files.keys()]) if (!keep.has(code)) drop(code);
    },
    removeAll() {
      for (const code of [...files.keys()]) drop(code);
    },
  };
}
