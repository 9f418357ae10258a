import { describe, expect, it } from 'vitest';
import { draftProblem, draftStep, readySteps, uniqueValues, windowOptions } from './funnels';

describe('funnel drafts', () => {
  it('asks for steps with a match only, trimmed', () => {
    const steps = [draftStep('page', ' /a '), draftStep('event', ''), draftStep('event', 'signup')];
    expect(readySteps(steps)).toEqual([
      { kind: 'page', match: '/a' },
      { kind: 'event', match: 'signup' },
    ]);
  });

  it('says why a draft cannot be charted', () => {
    expect(draftProblem([draftStep('page', '/a')])).toMatch(/at least 2/);
    expect(draftProblem([draftStep('page', '/a'), draftStep('page', 'pricing')])).toMatch(/starting with \//);
    expect(draftProblem([draftStep('page', '/a'), draftStep('event', 'signup')])).toBeNull();
  });

  it('offers a saved funnel’s other window beside the usual ones', () => {
    expect(windowOptions('7d').map((w) => w.value)).toEqual(['session', '1d', '7d', '30d']);
    expect(windowOptions('3d').at(-1)).toEqual({ value: '3d', label: '3 days' });
  });

  it('keeps unique values in order', () => {
    expect(uniqueValues(['/a', null, '/b', '/a', ''])).toEqual(['/a', '/b']);
  });
});
