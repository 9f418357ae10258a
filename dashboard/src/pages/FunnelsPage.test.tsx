import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SavedFunnel } from '../api/types';
import { json, mockApi, ok, renderApp, testUser } from '../test/render';

const saved: SavedFunnel = {
  id: 'f1',
  name: 'Sign-up',
  steps: [
    { kind: 'page', match: '/' },
    { kind: 'page', match: '/pricing' },
    { kind: 'event', match: 'signup' },
  ],
  window: '7d',
  createdAt: '2024-06-01T00:00:00Z',
};

function api(seen: URL[], funnels: SavedFunnel[] = []) {
  const posted: unknown[] = [];
  mockApi((url, init) => {
    seen.push(url);
    const method = init?.method ?? 'GET';
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    if (url.pathname === '/api/v1/stats/events') return ok([{ eventName: 'signup', count: 3, users: 2, sessions: 2 }]);
    if (url.pathname === '/api/v1/stats/pages') return ok([{ page: '/pricing', count: 5, users: 4, sessions: 4 }]);
    if (url.pathname === '/api/v1/funnels' && method === 'GET') return ok(funnels);
    if (url.pathname === '/api/v1/funnels' && method === 'POST') {
      const body = JSON.parse(String(init!.body)) as Omit<SavedFunnel, 'id' | 'createdAt'>;
      posted.push(body);
      const funnel = { ...body, id: `f${funnels.length + 1}`, createdAt: '2024-06-02T00:00:00Z' };
      funnels.push(funnel);
      return json(201, { data: funnel, errors: null });
    }
    if (url.pathname.startsWith('/api/v1/funnels/') && method === 'DELETE') {
      funnels.splice(0, funnels.length, ...funnels.filter((f) => !url.pathname.endsWith(f.id)));
      return new Response(null, { status: 204 }); // as the API answers
    }
    if (url.pathname === '/api/v1/stats/funnel') {
      const steps = url.searchParams.getAll('step');
      const visitors = [10, 4, 1, 1, 1, 1, 1, 1];
      return ok({
        steps: steps.map((s, i) => ({
          label: s.slice(s.indexOf(':') + 1),
          visitors: visitors[i],
          conversionRate: (visitors[i]! / 10) * 100,
          dropOff: i === 0 ? 0 : visitors[i - 1]! - visitors[i]!,
        })),
      });
    }
    return undefined;
  });
  return { posted };
}

const stepInputs = () => screen.getAllByTestId('funnel-step-input');
const setMatch = (i: number, value: string) =>
  fireEvent.change(within(stepInputs()[i]!).getByLabelText(/^Step \d+ (page path|event name)/), { target: { value } });

describe('FunnelsPage', () => {
  it('charts the steps picked, with the window, period and filters, as bars with conversion and drop-off', async () => {
    const seen: URL[] = [];
    api(seen);
    renderApp('/funnels?period=30d&filter=country:DE');
    expect(await screen.findByRole('heading', { name: 'Funnels', level: 1 })).toBeTruthy();
    expect(document.title).toBe('Funnels · Tracking System');
    expect((await screen.findByTestId('funnel-incomplete')).textContent).toMatch(/at least 2/);

    setMatch(1, '/pricing');
    fireEvent.click(screen.getByRole('button', { name: 'Add a step' }));
    fireEvent.change(within(stepInputs()[2]!).getByLabelText('Step 3 kind'), { target: { value: 'event' } });
    setMatch(2, 'signup');
    fireEvent.change(screen.getByLabelText(/^Within/), { target: { value: '7d' } });

    const bars = await screen.findByTestId('funnel-bars', {}, { timeout: 3000 });
    await waitFor(() => expect(within(bars).getAllByTestId('funnel-step')).toHaveLength(3));
    const call = seen.filter((u) => u.pathname === '/api/v1/stats/funnel').at(-1)!;
    expect(call.searchParams.getAll('step')).toEqual(['page:/', 'page:/pricing', 'event:signup']);
    expect(call.searchParams.get('window')).toBe('7d');
    expect(call.searchParams.getAll('filter')).toEqual(['country:DE']);
    expect(call.searchParams.get('from')).toBeTruthy();

    const steps = within(bars).getAllByTestId('funnel-step');
    expect(steps.map((s) => s.textContent)).toEqual([
      '1. Page /10 visitorsEntered the funnel',
      '2. Page /pricing4 visitors40% of step 1−6 since step 1 (60%)',
      '3. Event signup1 visitor10% of step 1−3 since step 2 (75%)',
    ]);
  });

  it('saves a funnel by name, picks a saved one, deletes it', async () => {
    const seen: URL[] = [];
    const funnels = [saved];
    const { posted } = api(seen, funnels);
    renderApp('/funnels');
    const picker = (await screen.findByLabelText('Saved funnel')) as HTMLSelectElement;
    await within(picker).findByRole('option', { name: 'Sign-up' });
    fireEvent.change(picker, { target: { value: 'f1' } });
    await waitFor(() => expect(stepInputs()).toHaveLength(3));
    expect((screen.getByLabelText(/^Within/) as HTMLSelectElement).value).toBe('7d');
    expect((screen.getByLabelText('Funnel name') as HTMLInputElement).value).toBe('Sign-up');
    await screen.findByTestId('funnel-bars', {}, { timeout: 3000 });

    fireEvent.change(screen.getByLabelText('Funnel name'), { target: { value: 'Copy' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save as new funnel' }));
    expect((await screen.findByTestId('funnel-notice')).textContent).toContain('Funnel “Copy” saved.');
    expect(posted).toEqual([{ name: 'Copy', steps: saved.steps, window: '7d' }]);
    await waitFor(() => expect(picker.value).toBe('f2'));

    fireEvent.click(screen.getByRole('button', { name: 'Delete funnel' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the funnel Copy?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete funnel' }));
    expect((await screen.findByTestId('funnel-notice')).textContent).toContain('Funnel “Copy” deleted.');
    expect(funnels.map((f) => f.id)).toEqual(['f1']);
    await waitFor(() => expect(picker.value).toBe(''));
  });
});
