import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { currentLocation, mockApi, ok, renderApp, testUser } from '../test/render';

const retention = {
  cohorts: [
    { start: '2024-03-04', size: 4, retained: [4, 2, 1] },
    { start: '2024-03-11', size: 2, retained: [2, 0] },
    { start: '2024-03-18', size: 1, retained: [1] },
  ],
};

function api(seen: URL[]) {
  mockApi((url) => {
    seen.push(url);
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    if (url.pathname === '/api/v1/stats/retention') return ok(retention);
    return undefined;
  });
}

describe('RetentionPage', () => {
  it('draws the triangle: cohort, size, then the share (and count) per offset, shaded', async () => {
    const seen: URL[] = [];
    api(seen);
    renderApp('/retention?period=30d&filter=device:Mobile');
    expect(await screen.findByRole('heading', { name: 'Retention', level: 1 })).toBeTruthy();
    const table = await screen.findByTestId('retention-table');
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent);
    expect(headers).toEqual(['Cohort', 'Visitors', 'Week 0', 'Week 1', 'Week 2']);
    const rows = within(table).getAllByTestId('cohort-row');
    expect(rows.map((r) => r.textContent)).toEqual([
      '2024-03-044100%450%225%1',
      '2024-03-112100%20%0',
      '2024-03-181100%1',
    ]);
    const cell = within(rows[0]!).getAllByTestId('retention-cell')[1]!;
    expect(cell.getAttribute('title')).toBe('Week 1: 2 of 4 visitors');
    expect(cell.style.background).not.toBe(within(rows[1]!).getAllByTestId('retention-cell')[1]!.style.background);
    const call = seen.find((u) => u.pathname === '/api/v1/stats/retention')!;
    expect(call.searchParams.get('unit')).toBe('week');
    expect(call.searchParams.getAll('filter')).toEqual(['device:Mobile']);
    expect(document.title).toBe('Retention · Tracking System');
  });

  it('the unit selector asks again by day or month and keeps it in the URL', async () => {
    const seen: URL[] = [];
    api(seen);
    renderApp('/retention');
    await screen.findByTestId('retention-table');
    fireEvent.change(screen.getByLabelText('Cohorts by'), { target: { value: 'month' } });
    await waitFor(() => expect(currentLocation.path).toContain('unit=month'));
    await waitFor(() =>
      expect(seen.some((u) => u.pathname === '/api/v1/stats/retention' && u.searchParams.get('unit') === 'month')).toBe(
        true,
      ),
    );
    expect(await screen.findByRole('columnheader', { name: 'Month 0' })).toBeTruthy();
  });

  it('the header links carry the period and filters between the report pages', async () => {
    api([]);
    renderApp('/retention?period=7d&filter=device:Mobile');
    const nav = await screen.findByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByRole('link', { name: 'Funnels' }).getAttribute('href')).toBe(
      '/funnels?period=7d&filter=device%3AMobile',
    );
    expect(within(nav).getByRole('link', { name: 'Dashboard' }).getAttribute('href')).toBe(
      '/?period=7d&filter=device%3AMobile',
    );
    expect(within(nav).getByRole('link', { name: 'Events' }).getAttribute('href')).toBe('/events');
  });
});
