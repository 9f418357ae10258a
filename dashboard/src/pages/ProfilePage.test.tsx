import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fail, mockApi, ok, renderApp, testSites, testUser } from '../test/render';

describe('ProfilePage', () => {
  it('saves the name, showing field errors from the API', async () => {
    const bodies: unknown[] = [];
    mockApi((url, init) => {
      if (url.pathname !== '/api/v1/users/me') return undefined;
      if (init?.method !== 'PATCH') return ok(testUser);
      const body = JSON.parse(String(init.body)) as { name: string };
      bodies.push(body);
      if (body.name === '') return fail(400, { name: 'Name must be 1 to 256 characters' });
      return ok({ ...testUser, ...body, updatedAt: '2024-01-02T00:00:00Z' });
    });
    const { store } = renderApp('/profile');
    const name = await screen.findByLabelText(/^Name/);
    fireEvent.change(name, { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('Name must be 1 to 256 characters')).toBeTruthy();

    fireEvent.change(name, { target: { value: 'Grace Hopper' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByTestId('profile-saved')).toBeTruthy();
    expect(bodies.at(-1)).toEqual({ name: 'Grace Hopper' });
    await waitFor(() => expect(store.get()?.user.name).toBe('Grace Hopper'));
    expect(screen.getByTestId('signed-in-as').textContent).toBe('Grace Hopper');
  });

  it('changes the password and says other sessions were signed out', async () => {
    let body: Record<string, string> = {};
    mockApi((url, init) => {
      if (url.pathname !== '/api/v1/users/me') return undefined;
      if (init?.method !== 'PATCH') return ok(testUser);
      body = JSON.parse(String(init.body)) as Record<string, string>;
      if (body.currentPassword !== 'old password')
        return fail(400, { currentPassword: 'Current password is incorrect' });
      return ok(testUser);
    });
    renderApp('/profile');
    const form = await screen.findByRole('form', { name: 'Change password' });
    const fill = (label: RegExp, value: string) =>
      fireEvent.change(within(form).getByLabelText(label), { target: { value } });
    fill(/^Current password/, 'bad');
    fill(/^New password/, 'new password 1');
    fill(/^Confirm new password/, 'new password 2');
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(await within(form).findByText('Passwords do not match')).toBeTruthy();
    expect(body).toEqual({}); // checked before asking the server

    fill(/^Confirm new password/, 'new password 1');
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(await within(form).findByText('Current password is incorrect')).toBeTruthy();

    fill(/^Current password/, 'old password');
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect((await screen.findByTestId('password-changed')).textContent).toContain('Every other session was signed out');
    expect(body).toEqual({
      currentPassword: 'old password',
      newPassword: 'new password 1',
      confirmPassword: 'new password 1',
    });
  });

  it('keeps only what is personal: time zone, origins and the API key are on the Sites page', async () => {
    mockApi((url) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/sites') return ok(testSites);
      return undefined;
    });
    renderApp('/profile?site=s2');
    expect(await screen.findByLabelText(/^Name/)).toBeTruthy();
    expect((screen.getByLabelText('Email') as HTMLInputElement).readOnly).toBe(true);
    expect(screen.queryByLabelText('Time zone')).toBeNull();
    expect(screen.queryByLabelText('Allowed origins')).toBeNull();
    expect(screen.queryByTestId('api-key')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Rotate key' })).toBeNull();
    const links = await screen.findAllByRole('link', { name: 'Sites' });
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['/sites?site=s2', '/sites?site=s2']);
  });
});
