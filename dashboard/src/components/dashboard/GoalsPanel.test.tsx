import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Goal, GoalStat } from '../../api/types';
import { currentLocation, mockApi, ok, renderApp, testUser } from '../../test/render';

const goals: Goal[] = [
  { id: 'g1', name: 'Signed up', kind: 'event', match: 'signup', createdAt: '2024-06-01T00:00:00Z' },
  { id: 'g2', name: 'Pricing', kind: 'page', match: '/pricing', createdAt: '2024-06-01T00:00:00Z' },
  { id: 'g3', name: 'Blog', kind: 'page', match: '/blog/*', createdAt: '2024-06-01T00:00:00Z' },
];
const stats: GoalStat[] = [
  { goalId: 'g1', name: 'Signed up', visitors: 12, conversions: 15, conversionRate: 4.8 },
  { goalId: 'g2', name: 'Pricing', visitors: 1200, conversions: 2500, conversionRate: 48 },
  { goalId: 'g3', name: 'Blog', visitors: 3, conversions: 4, conversionRate: 1.2 },
];

function api(seen: URL[], answer: GoalStat[] = stats) {
  mockApi((url) => {
    seen.push(url);
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    if (url.pathname === '/api/v1/goals') return ok(goals);
    if (url.pathname === '/api/v1/stats/goals') return ok(answer);
    if (url.pathname === '/api/v1/stats/overview')
      return ok({ eventsRecorded: { today: 1, thisMonth: 1, lifetime: 1 }, activeUsers: { today: 1, thisMonth: 1 } });
    return undefined;
  });
}

describe('GoalsPanel', () => {
  it('shows each goal’s visitors, conversions and rate for the period and filters', async () => {
    const seen: URL[] = [];
    api(seen);
    renderApp('/?period=7d&filter=browser:Firefox');
    const table = await screen.findByTestId('goals-table');
    const rows = within(table).getAllByTestId('goal-row');
    expect(rows.map((r) => r.textContent)).toEqual(['Signed up12154.8%', 'Pricing1.2k2.5k48%', 'Blog341.2%']);
    const call = seen.find((u) => u.pathname === '/api/v1/stats/goals')!;
    expect(call.searchParams.get('from')).toBeTruthy();
    expect(call.searchParams.getAll('filter')).toEqual(['browser:Firefox']);
  });

  it('a click filters by the goal’s event or page; a page goal with * is not clickable', async () => {
    api([]);
    renderApp('/?period=7d');
    const table = await screen.findByTestId('goals-table');
    await within(table).findByRole('button', { name: 'Filter by goal Signed up' });
    expect(within(table).queryByRole('button', { name: 'Filter by goal Blog' })).toBeNull();
    const blog = within(table).getByTestId('goal-not-filterable');
    expect(blog.getAttribute('aria-label')).toContain('cannot filter the dashboard');

    fireEvent.click(within(table).getByRole('button', { name: 'Filter by goal Signed up' }));
    await waitFor(() => expect(currentLocation.path).toContain('filter=eventName%3Asignup'));
    fireEvent.click(within(table).getByRole('button', { name: 'Filter by goal Pricing' }));
    await waitFor(() => expect(currentLocation.path).toContain('filter=page%3A%2Fpricing'));
  });

  it('without goals, points to the Sites page', async () => {
    api([], []);
    renderApp('/?period=7d&site=s1');
    const panel = await screen.findByTestId('panel-goals');
    const link = await within(panel).findByRole('link', { name: 'Sites page' });
    expect(link.getAttribute('href')).toBe('/sites?site=s1');
  });
});
