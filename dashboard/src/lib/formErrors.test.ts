import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { formErrors } from './formErrors';

describe('formErrors', () => {
  it('puts field errors under their inputs', () => {
    const err = new ApiError(400, { email: 'Enter a valid email', password: 'Too short' });
    expect(formErrors(err, ['email', 'password'])).toEqual({
      fields: { email: 'Enter a valid email', password: 'Too short' },
      message: null,
    });
  });

  it('maps nested paths to the input and unknown fields to the general message', () => {
    const err = new ApiError(400, { 'allowedOrigins.0': 'Not an origin', body: 'Invalid JSON' });
    expect(formErrors(err, ['allowedOrigins'])).toEqual({
      fields: { allowedOrigins: 'Not an origin' },
      message: 'body: Invalid JSON',
    });
  });

  it('uses errors.message as the alert', () => {
    expect(formErrors(new ApiError(401, { message: 'Invalid email or password' }), ['email'])).toEqual({
      fields: {},
      message: 'Invalid email or password',
    });
  });

  it('describes network failures and plain errors', () => {
    expect(formErrors(new ApiError(0, { message: 'Failed to fetch' }), []).message).toMatch(/reach the server/);
    expect(formErrors(new Error('boom'), []).message).toBe('boom');
  });
});
