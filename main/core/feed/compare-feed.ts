/**
 * The published definitions against what the servers report: which published mitigations a
 * server lacks, and which it has applied that are no longer published. Config ids are families
 * ("M2"); servers report versions ("M2.1.0"): they are matched by family through the knowledge
 * base, falling back to the part before the first dot for a family the catalogue does not know.
 */
import type { StateDocument } from '../model.js';
import { familyMatches, findMitigation, type KnowledgeBase } from '../mitigations/knowledge-base.js';
import type { FeedConfig } from './feed-types.js';

/** One published or applied mitigation, named for a person. */
export interface FeedComparisonItem {
  /** The Config id (published) or the applied ID (as the server reports it). */
  id: string;
  family: string;
  /** The catalogue title, or the Config desc, or null. */
  title: string | null;
}

/** The comparison for one server. */
export interface FeedServerComparison {
  server: string;
  /** Published, not applied and not blocked on this server. */
  missing: FeedComparisonItem[];
  /** Published but in MitigationsBlocked: the admin chose so. */
  blocked: FeedComparisonItem[];
  /** Applied here, and still published. */
  applied: FeedComparisonItem[];
  /** Applied here, but no published Config of its family any more. */
  noLongerPublished: FeedComparisonItem[];
  /** The server could not be read (its Error), so nothing was compared. */
  error: string | null;
}

/** The family of a Config id or applied ID. */
export function familyOf(id: string, kb: KnowledgeBase): string {
  return findMitigation(kb, id)?.id ?? (id.split('.')[0] || id);
}

/**
 * Compare the (signed) Configs with every server of a state document.
 * Pure: the same inputs give the same answer; nothing is applied anywhere.
 */
export function compareFeedWithState(configs: readonly FeedConfig[], doc: StateDocument, kb: KnowledgeBase): { servers: FeedServerComparison[] } {
  const published = configs.map((c) => ({ id: c.id, family: familyOf(c.id, kb), title: findMitigation(kb, c.id)?.title ?? (c.desc || null) }));
  const servers = doc.servers.map((server): FeedServerComparison => {
    const result: FeedServerComparison = { server: server.Name, missing: [], blocked: [], applied: [], noLongerPublished: [], error: server.Error ?? null };
    if (server.Error) return result;
    const applied = server.MitigationsApplied ?? [];
    const blockedIds = server.MitigationsBlocked ?? [];
    for (const item of published) {
      if (applied.some((id) => familyMatches(item.family, id))) result.applied.push(item);
      else if (blockedIds.some((id) => familyMatches(item.family, id) || familyMatches(id, item.family))) result.blocked.push(item);
      else result.missing.push(item);
    }
    for (const id of applied) {
      if (!published.some((p) => familyMatches(p.family, id))) {
        result.noLongerPublished.push({ id, family: familyOf(id, kb), title: findMitigation(kb, id)?.title ?? null });
      }
    }
    return result;
  });
  return { servers };
}
