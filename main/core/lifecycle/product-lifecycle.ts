/**
 * The support lifecycle of the Exchange products (end of support, supported CUs, ESU updates),
 * kept as sourced data in product-lifecycle.json and checked against a schema on first use.
 */
import { z } from 'zod';
import lifecycleFile from './product-lifecycle.json' with { type: 'json' };
import { describeSchemaError } from '../mitigations/knowledge-schema.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like "2025-10-14"');

const sourceSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  url: z.string().url().nullable(),
  date: day.nullable(),
  confidence: z.enum(['confirmed', 'third-party', 'inferred']),
});

const productSchema = z.object({
  product: z.enum(['Exchange 2013', 'Exchange 2016', 'Exchange 2019', 'Exchange SE']),
  endOfSupport: day.nullable(),
  endOfSupportSource: z.string().nullable(),
  /** CU lines HealthChecker counts as supported ("RTM" for Exchange SE). */
  supportedCus: z.array(z.string().min(1)),
  supportedCusSource: z.string().nullable(),
  /** What updates released after the end of support are ("ESU"), or null. */
  updatesAfterEndOfSupport: z.literal('ESU').nullable(),
  updatesAfterEndOfSupportSource: z.string().nullable(),
  /** When the ESU period ends, or null when unknown (the UI says so). */
  esuEnds: day.nullable(),
  note: z.string().nullable().optional(),
});

/** product-lifecycle.json */
export const lifecycleFileSchema = z
  .object({ schemaVersion: z.literal(1), dataVersion: z.string().min(1), sources: z.array(sourceSchema), products: z.array(productSchema) })
  .superRefine((doc, ctx) => {
    // Every fact must point at a source the file lists: a fact without its source is not shipped.
    const ids = new Set(doc.sources.map((s) => s.id));
    doc.products.forEach((p, i) => {
      for (const key of ['endOfSupportSource', 'supportedCusSource', 'updatesAfterEndOfSupportSource'] as const) {
        const ref = p[key];
        if (ref !== null && !ids.has(ref)) ctx.addIssue({ code: 'custom', path: ['products', i, key], message: `names the source '${ref}', which sources[] does not list` });
      }
    });
  });

export type LifecycleSource = z.infer<typeof sourceSchema>;
export type ProductLifecycle = z.infer<typeof productSchema>;
export type LifecycleData = z.infer<typeof lifecycleFileSchema>;

let cached: LifecycleData | null = null;

/** The lifecycle data shipped with this version (a broken file is a release bug: it throws). */
export function defaultLifecycle(): LifecycleData {
  if (cached) return cached;
  const parsed = lifecycleFileSchema.safeParse(lifecycleFile);
  if (!parsed.success) throw new Error(`product-lifecycle.json is invalid: ${describeSchemaError(parsed.error)}`);
  cached = parsed.data;
  return cached;
}

/** The source entry a fact names, or null. */
export function lifecycleSource(data: LifecycleData, id: string | null): LifecycleSource | null {
  return id === null ? null : (data.sources.find((s) => s.id === id) ?? null);
}
