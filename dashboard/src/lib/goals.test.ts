import { describe, expect, it } from 'vitest';
import { goalDescription, goalFilter } from './goals';

describe('goalFilter', () => {
  it('filters an event goal by its event name', () => {
    expect(goalFilter({ kind: 'event', match: 'signup' })).toEqual({ dimension: 'eventName', value: 'signup' });
  });

  it('filters a page goal by its path', () => {
    expect(goalFilter({ kind: 'page', match: '/pricing' })).toEqual({ dimension: 'page', value: '/pricing' });
  });

  it('a page goal with * is no filter', () => {
    expect(goalFilter({ kind: 'page', match: '/blog/*' })).toBeNull();
  });

  it('an event name may contain * and still filter', () => {
    expect(goalFilter({ kind: 'event', match: 'a*b' })).toEqual({ dimension: 'eventName', value: 'a*b' });
  });

  it('describes a goal by kind and match', () => {
    expect(goalDescription({ kind: 'page', match: '/blog/*' })).toBe('Page /blog/*');
  });
});
