import { ApiError } from '../api/client';
import { describeError } from '../components/QueryState';

export interface FormErrors {
  fields: Record<string, string>;
  message: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, message: null };

/**
 * Splits an API failure into messages under the form's own inputs and one general message
 * (errors.message, or field errors the form has no input for).
 */
export function formErrors(error: unknown, fields: readonly string[]): FormErrors {
  if (!(error instanceof ApiError)) return { fields: {}, message: describeError(error) };
  const out: Record<string, string> = {};
  const other: string[] = [];
  for (const [key, value] of Object.entries(error.errors)) {
    if (typeof value !== 'string') continue;
    const base = key.split('.')[0]!;
    if (fields.includes(base)) out[base] ??= value;
    else if (key !== 'message') other.push(`${key}: ${value}`);
  }
  const general = typeof error.errors.message === 'string' ? error.errors.message : null;
  let message = [general, ...other].filter(Boolean).join(' · ') || null;
  if (!message && Object.keys(out).length === 0) message = describeError(error);
  if (error.status === 0 || error.status === 429) message = describeError(error);
  return { fields: out, message };
}
