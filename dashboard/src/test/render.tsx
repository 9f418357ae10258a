import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router-dom';
import { vi } from 'vitest';
import { AppRoutes } from '../App';
import type { Site, User } from '../api/types';
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

/** The account's sites: the first is the one `testUser` describes. */
export const testSites: Site[] = [
  {
    id: 's1',
    name: 'Ada Lovelace',
    domain: null,
    apiKey: 'ts_test_key',
    timezone: 'UTC',
    allowedOrigins: [],
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: null,
  },
  {
    id: 's2',
    name: 'Shop',
    domain: 'shop.example.com',
    apiKey: 'ts_shop_key',
    timezone: 'Asia/Kolkata',
    allowedOrigins: ['https://shop.example.com'],
    createdAt: '2024-02-01T00:00:00Z',
    updatedAt: null,
  },
];

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

export interface SeenRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

/**
 * An in-memory /api/v1/sites, answering as the API describes: field errors (400), a domain of
 * another site (409), the last site (409 on delete), another account's or an unknown id (404).
 */
export function sitesApi(initial: Site[] = testSites) {
  const sites = initial.map((s) => ({ ...s }));
  const requests: SeenRequest[] = [];
  let seq = 0;
  const now = () => new Date(Date.UTC(2024, 5, 1, 0, 0, seq++)).toISOString();
  const fieldErrors = (body: Record<string, unknown>, selfId: string | null) => {
    const errors: Record<string, string> = {};
    if ('name' in body && (typeof body.name !== 'string' || body.name.trim() === ''))
      errors.name = 'Name must be 1 to 256 characters';
    const domain = body.domain;
    if (typeof domain === 'string' && domain !== '' && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(domain)) {
      errors.domain = `Not a domain name (like example.com): ${domain}`;
    }
    if (Object.keys(errors).length) return fail(400, errors);
    if (typeof domain === 'string' && sites.some((s) => s.domain === domain.toLowerCase() && s.id !== selfId)) {
      return fail(409, { domain: 'Another site already uses this domain' });
    }
    return null;
  };
  const handler: Handler = (url, init) => {
    const m = /^\/api\/v1\/sites(?:\/([^/]+))?(\/api-key)?$/.exec(url.pathname);
    if (!m) return undefined;
    const [, id, apiKey] = m;
    const method = init?.method ?? 'GET';
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    requests.push({ method, path: url.pathname, body });
    if (!id) {
      if (method === 'GET') return ok(sites);
      const error = fieldErrors({ name: '', ...body }, null);
      if (error) return error;
      const site: Site = {
        id: `s${sites.length + 1}-${seq}`,
        name: String(body!.name),
        domain: typeof body!.domain === 'string' && body!.domain ? body!.domain.toLowerCase() : null,
        apiKey: `ts_key_${seq}`,
        timezone: typeof body!.timezone === 'string' ? body!.timezone : 'UTC',
        allowedOrigins: (body!.allowedOrigins as string[] | undefined) ?? [],
        createdAt: now(),
        updatedAt: null,
      };
      sites.push(site);
      return json(201, { data: site, errors: null });
    }
    const at = sites.findIndex((s) => s.id === id);
    if (at === -1) return fail(404, { message: 'Site not found' });
    const site = sites[at]!;
    if (apiKey && method === 'POST') {
      site.apiKey = `ts_rotated_${seq++}`;
      return ok({ apiKey: site.apiKey });
    }
    if (method === 'GET') return ok(site);
    if (method === 'PATCH') {
      const error = fieldErrors(body ?? {}, site.id);
      if (error) return error;
      const { domain, ...rest } = body ?? {};
      Object.assign(site, rest, domain === undefined ? {} : { domain: domain ? String(domain).toLowerCase() : null });
      site.updatedAt = now();
      return ok(site);
    }
    if (method === 'DELETE') {
      if (sites.length === 1)
        return fail(409, { message: 'An account keeps at least one site: add another before deleting this one' });
      sites.splice(at, 1);
      return ok({});
    }
    return undefined;
  };
  return { handler, sites, requests };
}
