import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router-dom';
import { vi } from 'vitest';
import { AppRoutes } from '../App';
import type { User } from '../api/types';
import { AuthProvider } from '../auth/AuthProvider';
import { SessionStore, type Session } from '../auth/session';
import { createQueryClient, Providers } from '../providers';

export const testUser: User = {
  id: 'u1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  apiKey: 'ts_test_key',
  timezone: 'UTC',
  allowedOrigins: [],
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: null,
};

export const testSession: Session = {
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  expiresOn: '2099-01-01T00:00:00Z',
  user: testUser,
};

export type Handler = (url: URL, init: RequestInit | undefined) => Response | Promise<Response> | undefined;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export const ok = (data: unknown) => json(200, { data, errors: null });
export const fail = (status: number, errors: Record<string, string>) => json(status, { data: null, errors });

/** Routes fetch() to `handler`; anything it does not answer is a 404 like the gateway's. */
export function mockApi(handler: Handler) {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://localhost');
    const answer = await handler(url, init);
    return answer ?? fail(404, { message: 'No such API route' });
  });
}

export const currentLocation = { path: '' };

function LocationProbe() {
  const location = useLocation();
  currentLocation.path = location.pathname + location.search;
  return null;
}

export function renderApp(path: string, session: Session | null = testSession) {
  localStorage.clear();
  const store = new SessionStore(localStorage);
  if (session) store.set(session);
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { retry: false } });
  const utils = render(
    <Providers client={client}>
      <MemoryRouter initialEntries={[path]}>
        <AuthProvider store={store}>
          <AppRoutes />
          <LocationProbe />
        </AuthProvider>
      </MemoryRouter>
    </Providers>,
  );
  return { ...utils, store, client };
}
