import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Goal } from '../../api/types';
import { fail, json, mockApi, ok, renderApp, sitesApi, testUser, type SeenRequest } from '../../test/render';

/** An in-memory /api/v1/goals answering 400 field errors as the API does. */
function goalsApi(initial: Goal[] = []) {
  const goals = initial.map((g) => ({ ...g }));
  const requests: (SeenRequest & { site: string | null })[] = [];
  const sites = sitesApi();
  mockApi((url, init) => {
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    const m = /^\/api\/v1\/goals(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return sites.handler(url, init);
    const method = init?.method ?? 'GET';
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, string>) : undefined;
    requests.push({ method, path: url.pathname, body, site: url.searchParams.get('site') });
    const check = (b: Record<string, string>) => {
      const errors: Record<string, string> = {};
      if (!b.name?.trim()) errors.name = 'Must not be empty';
      if (!b.match?.trim()) errors.match = 'Must not be empty';
      else if (b.kind === 'page' && !b.match.startsWith('/')) errors.match = 'A page goal is a path starting with /';
      return Object.keys(errors).length ? fail(400, errors) : null;
    };
    if (!m[1]) {
      if (method === 'GET') return ok(goals);
      const error = check(body!);
      if (error) return error;
      const goal: Goal = {
        id: `g${goals.length + 1}`,
        name: body!.name!,
        kind: body!.kind as Goal['kind'],
        match: body!.match!,
        createdAt: '2024-06-01T00:00:00Z',
      };
      goals.push(goal);
      return json(201, { data: goal, errors: null });
    }
    const goal = goals.find((g) => g.id === m[1]);
    if (!goal) return fail(404, { message: 'Goal not found' });
    if (method === 'PATCH') {
      const error = check({ ...goal, ...body });
      if (error) return error;
      Object.assign(goal, body);
      return ok(goal);
    }
    if (method === 'DELETE') {
      goals.splice(goals.indexOf(goal), 1);
      return new Response(null, { status: 204 }); // as the API answers
    }
    return undefined;
  });
  return { goals, requests };
}

const signup: Goal = { id: 'g1', name: 'Signed up', kind: 'event', match: 'signup', createdAt: '2024-06-01T00:00:00Z' };

describe('GoalsCard (Sites page)', () => {
  it('lists the site’s goals, adds one with the API’s field errors under the fields', async () => {
    const api = goalsApi([signup]);
    renderApp('/sites?site=s2');
    const card = await screen.findByTestId('goals-card');
    const list = await within(card).findByTestId('goals-list');
    expect(within(list).getAllByRole('row')[1]!.textContent).toContain('Signed upEventsignup');
    expect(api.requests[0]!.site).toBe('s2');

    const form = within(card).getByRole('form', { name: 'Add a goal' });
    fireEvent.change(within(form).getByLabelText(/^Goal name/), { target: { value: 'Read the blog' } });
    fireEvent.change(within(form).getByLabelText('Kind'), { target: { value: 'page' } });
    fireEvent.change(within(form).getByLabelText(/^Page path/), { target: { value: 'blog/*' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add goal' }));
    expect(await within(form).findByText('A page goal is a path starting with /')).toBeTruthy();

    fireEvent.change(within(form).getByLabelText(/^Page path/), { target: { value: '/blog/*' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add goal' }));
    expect((await within(card).findByTestId('goals-notice')).textContent).toContain('Goal “Read the blog” added.');
    await waitFor(() => expect(within(card).getAllByRole('row')).toHaveLength(3));
    expect(api.goals[1]).toMatchObject({ name: 'Read the blog', kind: 'page', match: '/blog/*' });
    expect(api.requests.find((r) => r.method === 'POST')!.site).toBe('s2');
  });

  it('edits and deletes a goal', async () => {
    const api = goalsApi([signup]);
    renderApp('/sites');
    const card = await screen.findByTestId('goals-card');
    fireEvent.click(await within(card).findByRole('button', { name: 'Edit goal Signed up' }));
    const form = await screen.findByRole('form', { name: 'Edit goal Signed up' });
    fireEvent.change(within(form).getByLabelText(/^Goal name/), { target: { value: 'Registered' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save goal' }));
    expect((await within(card).findByTestId('goals-notice')).textContent).toContain('Goal “Registered” saved.');
    expect(api.goals[0]!.name).toBe('Registered');
    expect(await within(card).findByText('Registered')).toBeTruthy();

    fireEvent.click(within(card).getByRole('button', { name: 'Delete goal Registered' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the goal Registered?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete goal' }));
    expect(await within(card).findByTestId('no-goals')).toBeTruthy();
    expect(api.goals).toHaveLength(0);
  });
});
