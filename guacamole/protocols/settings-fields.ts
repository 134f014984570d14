import { z } from 'zod';

/**
 * Field parsers shared by every protocol's settings.ts. guacd's arguments arrive as strings, '' meaning
 * "use the default", and are parsed once into typed settings.
 */

/** guacd treats exactly "true" as true; anything else (including empty) is false. */
export const flag = z
  .string()
  .optional()
  .transform((v) => v === 'true');

/** Text where '' means absent. */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

/** An integer within bounds; '' or absent gives `fallback`. */
export function integer(fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });
}

/** "name problem; name problem" for an error message; names only, never the values (they may be secrets). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'settings'} ${i.message}`).join('; ');
}
