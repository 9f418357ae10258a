import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { AppRoutes } from '../App';
import { createQueryClient, Providers } from '../providers';

function renderAt(path: string) {
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { retry: false } });
  return render(
    <Providers client={client}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </Providers>,
  );
}

function mockFetch(status: number, body: unknown) {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(
    async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }),
  );
}

describe('HomePage', () => {
  it('shows the overall status and each component', async () => {
    const fetchSpy = mockFetch(200, {
      data: {
        status: 'degraded',
        components: {
          redis: { status: 'up' },
          users: { status: 'up' },
          tracking: { status: 'up' },
          worker: { status: 'down', lag: 1200 },
        },
      },
      errors: null,
    });
    renderAt('/');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Tracking System');
    expect(screen.getByTestId('health-status').textContent).toBe('loading');

    expect((await screen.findByTestId('component-worker')).textContent).toContain('down');
    expect(screen.getByTestId('health-status').textContent).toBe('degraded');
    expect(within(screen.getByTestId('component-redis')).getByText('up')).toBeTruthy();
    expect(screen.getByTestId('component-worker').textContent).toContain('lag: 1200');
    expect(fetchSpy.mock.calls[0]![0]).toBe('/api/v1/health');
  });

  it('shows an error state when the health check fails', async () => {
    mockFetch(401, { data: null, errors: { message: 'Not authenticated' } });
    renderAt('/');
    expect((await screen.findByTestId('health-error')).textContent).toContain('Not authenticated');
    expect(screen.getByTestId('health-status').textContent).toBe('unavailable');
  });
});

describe('routes', () => {
  it.each(['/login', '/register', '/setup', '/profile', '/events'])('%s renders a placeholder', (path) => {
    renderAt(path);
    expect(screen.getByText('Coming soon.')).toBeTruthy();
  });
});
