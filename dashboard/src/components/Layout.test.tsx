import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, ok, renderApp, testUser } from '../test/render';
import { themeLabel } from './Layout';

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

describe('theme menu', () => {
  it('offers light, dark and system, follows the system by default and keeps the choice', async () => {
    mockApi((url) => (url.pathname === '/api/v1/users/me' ? ok(testUser) : undefined));
    renderApp('/profile');
    await screen.findByRole('heading', { level: 1, name: 'Profile' });
    await act(() => new Promise((r) => setTimeout(r, 100))); // the page settles (focus moves to it)
    const toggle = screen.getByTestId('color-scheme-toggle');
    expect(toggle.getAttribute('data-choice')).toBe('auto');
    expect(toggle.getAttribute('aria-label')).toBe('Theme: system (now light)');

    fireEvent.click(toggle);
    const menu = await screen.findByTestId('theme-menu');
    const items = await within(menu).findAllByRole('menuitemradio', { hidden: true });
    expect(items.map((i) => [i.textContent, i.getAttribute('aria-checked')])).toEqual([
      ['Light', 'false'],
      ['Dark', 'false'],
      ['System', 'true'],
    ]);
    fireEvent.click(items[1]!);
    await waitFor(() => expect(document.documentElement.getAttribute('data-mantine-color-scheme')).toBe('dark'));
    expect(localStorage.getItem('mantine-color-scheme-value')).toBe('dark');
    expect(toggle.getAttribute('aria-label')).toBe('Theme: dark');

    fireEvent.click(toggle);
    fireEvent.click((await screen.findAllByRole('menuitemradio', { hidden: true }))[2]!);
    await waitFor(() => expect(localStorage.getItem('mantine-color-scheme-value')).toBe('auto'));
    expect(toggle.getAttribute('data-choice')).toBe('auto');
    expect(document.documentElement.getAttribute('data-mantine-color-scheme')).toBe('light');
  });

  it('names the choice, and for the system what it gives now', () => {
    expect(themeLabel('auto', 'dark')).toBe('Theme: system (now dark)');
    expect(themeLabel('light', 'light')).toBe('Theme: light');
  });
});
