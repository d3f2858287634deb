/**
 * The knowledge in force as the Diagnostics view shows it, and the rule that the knowledge source
 * (knowledgeUrl, knowledgeOverrideFile) is set only in the settings file on disk: a page or an API
 * client that could point EEMS Watch at other "facts" could make it advise a removal.
 */
import { knowledgeBehind } from '../core/mitigations/knowledge-age.js';
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { ServerState } from '../core/model.js';
import type { KnowledgeInfo } from '../engine/knowledge-source.js';
import type { KnowledgeView } from './eems-api.js';

/** The view of the knowledge in force; `info` null: the built-in knowledge, loaded at start. */
export function knowledgeView(kb: KnowledgeBase, info: KnowledgeInfo | null, servers: ServerState[], now: Date): KnowledgeView {
  const shown = info ?? { version: kb.versions.mitigations, date: kb.versions.date, source: 'built-in' as const, location: null, loadedAt: now.toISOString(), lastError: null };
  return { ...shown, warning: knowledgeBehind(servers, kb) };
}

