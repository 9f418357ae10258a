import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Erasure } from '../../api/types';
import { fail, json, mockApi, ok, renderApp, sitesApi, testUser } from '../../test/render';

/** An in-memory /api/v1/erasures whose requests finish on the next read, as the worker would. */
function erasuresApi() {
  const erasures: Erasure[] = [];
  const posted: { body: Record<string, unknown>; site: string | null }[] = [];
  const sites = sitesApi();
  mockApi((url, init) => {
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    if (url.pathname !== '/api/v1/erasures') return sites.handler(url, init);
    if ((init?.method ?? 'GET') === 'GET') {
      const listed = erasures.map((e) => ({ ...e }));
      for (const e of erasures)
        Object.assign(e, { status: 'done', userId: null, eventsErased: 12, finishedAt: '2024-06-02T00:00:00Z' });
      return ok(listed);
    }
    const body = JSON.parse(String(init!.body)) as Record<string, unknown>;
    posted.push({ body, site: url.searchParams.get('site') });
    if (typeof body.userId !== 'string' || body.userId.length > 256)
      return fail(400, { userId: 'String should have at most 256 characters' });
    const erasure: Erasure = {
      id: `e${erasures.length + 1}`,
      createdAt: '2024-06-01T00:00:00Z',
      userId: body.userId,
      status: 'pending',
      eventsErased: 0,
      finishedAt: null,
    };
    erasures.unshift(erasure);
    return json(202, { data: erasure, errors: null });
  });
  return { posted };
}

describe('ErasuresCard (Sites page)', () => {
  it('asks before erasing, then lists the request until it is done and the userId forgotten', async () => {
    const api = erasuresApi();
    renderApp('/sites?site=s2');
    const card = await screen.findByTestId('erasures-card');
    const form = within(card).getByRole('form', { name: 'Erase a visitor' });
    fireEvent.click(within(form).getByRole('button', { name: 'Erase visitor' }));
    expect(await within(form).findByText('Enter the visitor’s userId')).toBeTruthy();
    expect(api.posted).toHaveLength(0);

    fireEvent.change(within(form).getByLabelText(/^Visitor’s userId/), { target: { value: 'user-42' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Erase visitor' }));
    const dialog = await screen.findByRole('dialog', { name: 'Erase this visitor?' });
    expect(dialog.textContent).toContain('user-42');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Erase permanently' }));

    await waitFor(() => expect(api.posted).toEqual([{ body: { userId: 'user-42' }, site: 's2' }]));
    const list = await within(card).findByTestId('erasures-list');
    await waitFor(() => expect(within(list).getAllByRole('row')[1]!.textContent).toContain('user-42'));
    expect(within(list).getAllByRole('row')[1]!.textContent).toContain('Waiting for earlier events');
    await waitFor(() => expect(within(list).getAllByRole('row')[1]!.textContent).toContain('Done'), { timeout: 5000 });
    const row = within(list).getAllByRole('row')[1]!.textContent!;
    expect(row).toContain('forgotten');
    expect(row).toContain('12');
    expect(row).not.toContain('user-42');
  }, 20_000); // it waits for one real poll (ERASURE_POLL_MS)

  it('shows the API’s field error under the input', async () => {
    erasuresApi();
    renderApp('/sites');
    const card = await screen.findByTestId('erasures-card');
    const form = within(card).getByRole('form', { name: 'Erase a visitor' });
    fireEvent.change(within(form).getByLabelText(/^Visitor’s userId/), { target: { value: 'x'.repeat(300) } });
    fireEvent.click(within(form).getByRole('button', { name: 'Erase visitor' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Erase permanently' }));
    expect(await within(form).findByText('String should have at most 256 characters')).toBeTruthy();
  });
});
