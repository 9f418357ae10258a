import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, ok, renderApp, testUser } from '../test/render';

describe('connection banner', () => {
  it('says when the server cannot be reached, and goes once it answers again', async () => {
    let down = true;
    mockApi((url) => {
      if (down && url.pathname.startsWith('/api/v1/stats/')) throw new TypeError('Failed to fetch');
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/health') return ok({ status: 'ok', components: {} });
      return undefined;
    });
    const { client } = renderApp('/?period=7d');
    const banner = await screen.findByTestId('connection-banner');
    expect(banner.getAttribute('data-state')).toBe('unreachable');
    expect(banner.textContent).toContain('Cannot reach the server');
    down = false;
    await act(() => client.refetchQueries({ queryKey: ['health'] }));
    await waitFor(() => expect(screen.queryByTestId('connection-banner')).toBeNull());
  });

  it('says when the browser is offline', async () => {
    mockApi((url) => (url.pathname === '/api/v1/users/me' ? ok(testUser) : undefined));
    renderApp('/events');
    await screen.findByRole('heading', { level: 1 });
    act(() => {
      window.dispatchEvent(new Event('offline'));
    });
    expect((await screen.findByTestId('connection-banner')).textContent).toContain('You are offline');
    act(() => {
      window.dispatchEvent(new Event('online'));
    });
    await waitFor(() => expect(screen.queryByTestId('connection-banner')).toBeNull());
  });
});
