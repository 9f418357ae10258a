import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { mockApi, ok, renderApp, sitesApi } from '../test/render';

function sse(messages: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const m of messages) controller.enqueue(new TextEncoder().encode(m));
      // left open, like a live stream
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('EventsPage', () => {
  it('pages through raw events with the search filters and "Load more"', async () => {
    const calls: URL[] = [];
    mockApi((url) => {
      if (url.pathname !== '/api/v1/events') return undefined;
      calls.push(url);
      const cursor = url.searchParams.get('cursor');
      if (!cursor)
        return ok({ items: [{ eventName: 'PAGE_VIEW', page: 'https://a.io/1', eventTime: 1 }], nextCursor: 'c2' });
      return ok({ items: [{ eventName: 'signup', page: 'https://a.io/2', eventTime: 2 }], nextCursor: null });
    });
    renderApp('/events');
    expect(await screen.findByText('https://a.io/1')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('https://a.io/2')).toBeTruthy();
    expect(calls.at(-1)!.searchParams.get('cursor')).toBe('c2');
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull());

    fireEvent.change(screen.getByLabelText('Event name'), { target: { value: 'signup' } });
    fireEvent.change(screen.getByLabelText('User ID'), { target: { value: 'u-9' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(calls.at(-1)!.searchParams.get('eventName')).toBe('signup'));
    expect(calls.at(-1)!.searchParams.get('userId')).toBe('u-9');
    expect(calls.at(-1)!.searchParams.get('page')).toBeNull();
  });

  it('shows live events newest first, read with the Bearer header', async () => {
    let auth: string | null = null;
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/events/live') {
        auth = new Headers(init?.headers).get('Authorization');
        return sse([
          'data: {"eventName":"first_live","page":"https://a.io/x","eventTime":1700000000000}\n\n',
          ': keep-alive\n\ndata: {"eventName":"second_live","page":"https://a.io/y","eventTime":1700000001000}\n\n',
        ]);
      }
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return undefined;
    });
    renderApp('/events');
    await screen.findByText('second_live');
    const feed = screen.getByTestId('live-feed');
    const text = feed.textContent ?? '';
    expect(text.indexOf('second_live')).toBeLessThan(text.indexOf('first_live'));
    expect(auth).toBe('Bearer access-1');
    expect(screen.getByTestId('live-status').textContent).toBe('Live');
  });

  it('exports with the Bearer header and saves a Blob', async () => {
    const created = vi.fn((_blob: Blob) => 'blob:x');
    URL.createObjectURL = created;
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    let exportUrl: URL | null = null;
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/events/export') {
        exportUrl = url;
        expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer access-1');
        return new Response('eventName\nPAGE_VIEW\n', { status: 200, headers: { 'Content-Type': 'text/csv' } });
      }
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return undefined;
    });
    renderApp('/events');
    fireEvent.click(await screen.findByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect((exportUrl as unknown as URL).searchParams.get('format')).toBe('csv');
    expect(created).toHaveBeenCalledTimes(1);
    expect(created.mock.calls[0]![0].size).toBe('eventName\nPAGE_VIEW\n'.length);
  });

  it('reports a failed export', async () => {
    mockApi((url) => (url.pathname === '/api/v1/events' ? ok({ items: [], nextCursor: null }) : undefined));
    renderApp('/events');
    fireEvent.click(await screen.findByRole('button', { name: 'Export NDJSON' }));
    expect((await screen.findByTestId('export-error')).textContent).toContain('Export failed');
    expect(await screen.findByText('No events match.')).toBeTruthy();
  });

  it('scopes the explorer, the export and the live feed to the current site', async () => {
    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const sites = sitesApi();
    const seen: URL[] = [];
    mockApi((url, init) => {
      if (url.pathname.startsWith('/api/v1/events')) seen.push(url);
      if (url.pathname === '/api/v1/events/live') return sse([]);
      if (url.pathname === '/api/v1/events/export') return new Response('x', { status: 200 });
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return sites.handler(url, init);
    });
    renderApp('/events?site=s2');
    await screen.findByText('No events match.');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(seen.some((u) => u.pathname === '/api/v1/events/export')).toBe(true));
    await waitFor(() => expect(seen.some((u) => u.pathname === '/api/v1/events/live')).toBe(true));
    expect(new Set(seen.map((u) => u.pathname))).toEqual(
      new Set(['/api/v1/events', '/api/v1/events/export', '/api/v1/events/live']),
    );
    expect(seen.every((u) => u.searchParams.get('site') === 's2')).toBe(true);
  });
});
