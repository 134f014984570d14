import type { z } from 'zod';
import { BadRequestError } from './errors.js';

/** Parses input with a zod schema; a BadRequestError naming each bad field in plain words otherwise. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const parts = r.error.issues.map((i) => {
    const field = i.path.join('.');
    const message = i.code === 'invalid_type' && i.input === undefined ? 'is missing' : i.message;
    return field && !/^[A-Z]/.test(message) ? `${field}: ${message}` : message;
  });
  throw new BadRequestError(parts.join(' '));
}
