import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { currentLocation, mockApi, ok, renderApp, sitesApi, testSites, testUser } from '../test/render';

function api(sites = sitesApi()) {
  mockApi((url, init) => (url.pathname === '/api/v1/users/me' ? ok(testUser) : sites.handler(url, init)));
  return sites;
}

const switcher = () => screen.getByRole('button', { name: /^Switch site/ });

describe('SitesPage', () => {
  it('lists every site with its domain, zone and creation day, and manages the current one', async () => {
    api();
    renderApp('/sites');
    const list = await screen.findByTestId('site-list');
    const rows = within(list).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringContaining('Ada LovelaceCurrentNo domain yetUTCJan 1, 2024'),
      expect.stringContaining('Shopshop.example.comAsia/KolkataFeb 1, 2024'),
    ]);
    expect(within(rows[1]!).getByRole('link', { name: 'Setup of Shop' }).getAttribute('href')).toBe('/setup?site=s2');
    expect(within(rows[1]!).getByRole('link', { name: 'Dashboard of Shop' }).getAttribute('href')).toBe('/?site=s2');
    const settings = screen.getByTestId('site-settings');
    expect(within(settings).getByRole('heading', { name: 'Ada Lovelace' })).toBeTruthy();
    expect(within(settings).getByTestId('api-key').textContent).toBe('ts_test_key');
    expect(within(settings).getByTestId('site-script-tag').textContent).toContain('data-api-key="ts_test_key"');
    expect(document.title).toBe('Sites · Tracking System');

    fireEvent.click(within(rows[1]!).getByRole('button', { name: 'Manage Shop' }));
    await waitFor(() => expect(currentLocation.path).toBe('/sites?site=s2'));
    expect(await within(settings).findByRole('heading', { name: 'Shop' })).toBeTruthy();
    expect(within(settings).getByTestId('api-key').textContent).toBe('ts_shop_key');
    expect((within(settings).getByLabelText('Domain') as HTMLInputElement).value).toBe('shop.example.com');
    expect(switcher().getAttribute('aria-label')).toBe('Switch site, current: Shop, shop.example.com');
  });

  it('adds a site: field errors from the API under the fields, then the new site becomes current', async () => {
    const sites = api();
    renderApp('/sites');
    await screen.findByTestId('site-list');
    fireEvent.click(screen.getByRole('button', { name: 'Add a site' }));
    const form = await screen.findByRole('form', { name: 'Add a site' });
    const fill = (label: RegExp, value: string) =>
      fireEvent.change(within(form).getByLabelText(label), { target: { value } });

    fill(/^Name/, 'Blog');
    fill(/^Domain/, 'not a domain');
    fireEvent.click(within(form).getByRole('button', { name: 'Add site' }));
    expect(await within(form).findByText('Not a domain name (like example.com): not a domain')).toBeTruthy();
    expect(
      within(form)
        .getByLabelText(/^Domain/)
        .getAttribute('aria-invalid'),
    ).toBe('true');

    fill(/^Domain/, 'shop.example.com');
    fireEvent.click(within(form).getByRole('button', { name: 'Add site' }));
    expect(await within(form).findByText('Another site already uses this domain')).toBeTruthy();

    fill(/^Domain/, 'blog.example.com');
    fireEvent.click(within(form).getByRole('button', { name: 'Add site' }));
    await waitFor(() => expect(sites.sites).toHaveLength(3));
    const created = sites.sites[2]!;
    expect(sites.requests.filter((r) => r.method === 'POST').at(-1)!.body).toEqual({
      name: 'Blog',
      domain: 'blog.example.com',
      timezone: expect.any(String),
    });
    await waitFor(() => expect(currentLocation.path).toBe(`/sites?site=${created.id}`));
    const notice = await screen.findByTestId('sites-notice');
    expect(notice.textContent).toContain('Site “Blog” added');
    expect(within(notice).getByRole('link', { name: 'set up Blog' }).getAttribute('href')).toBe(
      `/setup?site=${created.id}`,
    );
    expect(within(screen.getByTestId('site-list')).getAllByRole('row')).toHaveLength(4);
    expect(switcher().getAttribute('aria-label')).toBe('Switch site, current: Blog, blog.example.com');
  });

  it('renames a site and sets its domain, sending only what changed; the switcher follows', async () => {
    const sites = api();
    renderApp('/sites?site=s2');
    const form = await screen.findByRole('form', { name: 'Site settings' });
    const fill = (label: RegExp, value: string) =>
      fireEvent.change(within(form).getByLabelText(label), { target: { value } });
    fill(/^Name/, '');
    fireEvent.click(within(form).getByRole('button', { name: 'Save site' }));
    expect(await within(form).findByText('Name must be 1 to 256 characters')).toBeTruthy();

    fill(/^Name/, 'Shop EU');
    fill(/^Domain/, 'eu.shop.example.com');
    fireEvent.click(within(form).getByRole('button', { name: 'Save site' }));
    expect(await screen.findByTestId('site-saved')).toBeTruthy();
    expect(sites.requests.filter((r) => r.method === 'PATCH').at(-1)).toEqual({
      method: 'PATCH',
      path: '/api/v1/sites/s2',
      body: { name: 'Shop EU', domain: 'eu.shop.example.com' },
    });
    await waitFor(() =>
      expect(switcher().getAttribute('aria-label')).toBe('Switch site, current: Shop EU, eu.shop.example.com'),
    );

    // Clearing the domain sends null.
    fill(/^Domain/, '');
    fireEvent.click(within(form).getByRole('button', { name: 'Save site' }));
    await waitFor(() =>
      expect(sites.requests.filter((r) => r.method === 'PATCH').at(-1)!.body).toEqual({ domain: null }),
    );
    await waitFor(() => expect(switcher().getAttribute('aria-label')).toBe('Switch site, current: Shop EU'));
  });

  it('sets how long a site keeps raw events, and forever again', async () => {
    const sites = api();
    renderApp('/sites?site=s2');
    const form = await screen.findByRole('form', { name: 'Site settings' });
    const keep = within(form).getByLabelText(/^Keep raw events/) as HTMLSelectElement;
    expect(keep.value).toBe('');
    const patches = () => sites.requests.filter((r) => r.method === 'PATCH');

    fireEvent.change(keep, { target: { value: '90' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save site' }));
    await waitFor(() => expect(patches().at(-1)!.body).toEqual({ retentionDays: 90 }));
    expect(sites.sites[1]!.retentionDays).toBe(90);

    fireEvent.change(keep, { target: { value: '' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save site' }));
    await waitFor(() => expect(patches().at(-1)!.body).toEqual({ retentionDays: null }));
    expect(patches()).toHaveLength(2);
  });

  it('rotates the key of the current site only after confirmation', async () => {
    const sites = api();
    renderApp('/sites?site=s2');
    const settings = await screen.findByTestId('site-settings');
    expect(within(settings).getByTestId('api-key').textContent).toBe('ts_shop_key');
    const rotations = () => sites.requests.filter((r) => r.path.endsWith('/api-key')).length;

    fireEvent.click(within(settings).getByRole('button', { name: 'Rotate key' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('stops working immediately');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(rotations()).toBe(0);

    fireEvent.click(within(settings).getByRole('button', { name: 'Rotate key' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Rotate now' }));
    await waitFor(() => expect(within(settings).getByTestId('api-key').textContent).not.toBe('ts_shop_key'));
    expect(within(settings).getByTestId('api-key').textContent).toBe(sites.sites[1]!.apiKey);
    expect(sites.requests.filter((r) => r.path.endsWith('/api-key')).map((r) => r.path)).toEqual([
      '/api/v1/sites/s2/api-key',
    ]);
    expect(within(settings).getByTestId('site-script-tag').textContent).toContain(sites.sites[1]!.apiKey);
    expect(screen.getByTestId('api-key-rotated')).toBeTruthy();
  });

  it('deletes a site only once its name is typed, and shows why the last one cannot go', async () => {
    const sites = api();
    renderApp('/sites?site=s2&period=7d');
    const settings = await screen.findByTestId('site-settings');
    fireEvent.click(within(settings).getByRole('button', { name: 'Delete site' }));
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Delete permanently' }) as HTMLButtonElement;
    const typed = within(dialog).getByLabelText('Type “Shop” to confirm');
    expect(confirm.disabled).toBe(true);
    fireEvent.change(typed, { target: { value: 'shop' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(typed, { target: { value: 'Shop' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);

    await waitFor(() => expect(sites.sites.map((s) => s.id)).toEqual(['s1']));
    expect(sites.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/api/v1/sites/s2']);
    await waitFor(() => expect(currentLocation.path).toBe('/sites?site=s1&period=7d'));
    expect((await screen.findByTestId('sites-notice')).textContent).toContain('Site “Shop” deleted');
    expect(within(screen.getByTestId('site-list')).getAllByRole('row')).toHaveLength(2);
    expect(within(settings).getByRole('heading', { name: 'Ada Lovelace' })).toBeTruthy();

    // The last site: the API refuses, and the dialog says why.
    fireEvent.click(within(settings).getByRole('button', { name: 'Delete site' }));
    const last = await screen.findByRole('dialog');
    fireEvent.change(within(last).getByLabelText('Type “Ada Lovelace” to confirm'), {
      target: { value: 'Ada Lovelace' },
    });
    fireEvent.click(within(last).getByRole('button', { name: 'Delete permanently' }));
    expect((await within(last).findByTestId('delete-site-error')).textContent).toBe(
      'An account keeps at least one site: add another before deleting this one',
    );
    expect(sites.sites).toHaveLength(1);
  });

  it('says so when the server has no sites yet', async () => {
    mockApi((url) => (url.pathname === '/api/v1/users/me' ? ok(testUser) : undefined));
    renderApp('/sites');
    expect(await screen.findByText('Sites: not available yet')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Add a site' }) as HTMLButtonElement).disabled).toBe(true);
    expect(testSites).toHaveLength(2); // the shared fixture is never modified
  });
});
