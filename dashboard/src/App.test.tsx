import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { currentLocation, fail, mockApi, ok, renderApp, testSession, testUser } from './test/render';

const health = ok({ status: 'ok', components: { redis: { status: 'up' } } });

describe('route guards', () => {
  it('shows the sign-in form in place of a protected page, keeping the URL', async () => {
    mockApi((url) => (url.pathname === '/api/v1/health' ? health : undefined));
    renderApp('/setup', null);
    expect(await screen.findByText('Sign in to continue')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'Tracking System' })).toBeTruthy();
    expect(currentLocation.path).toBe('/setup');
    expect((await screen.findByTestId('health-status')).textContent).toBe('ok');
    expect(document.title).toBe('Log in · Tracking System');
  });

  it('/login redirects a signed-in user to ?next', async () => {
    mockApi((url) => (url.pathname === '/api/v1/users/me' ? ok(testUser) : undefined));
    renderApp('/login?next=%2Fprofile');
    await waitFor(() => expect(currentLocation.path).toBe('/profile'));
  });

  it('never follows ?next to another site', async () => {
    mockApi(() => undefined);
    renderApp('/register?next=%2F%2Fevil.example');
    await waitFor(() => expect(currentLocation.path).toBe('/'));
  });
});

describe('login', () => {
  it('shows errors.message as an alert and goes to ?next on success', async () => {
    let attempts = 0;
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/auth/login') {
        attempts += 1;
        const body = JSON.parse(String(init?.body)) as { password: string };
        return body.password === 'right password'
          ? ok(testSession)
          : fail(401, { message: 'Invalid email or password' });
      }
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      return undefined;
    });
    const { store } = renderApp('/login?next=%2Fprofile', null);
    fireEvent.change(screen.getByLabelText(/Email/), { target: { value: 'ada@example.com' } });
    fireEvent.change(screen.getByLabelText(/^Password/), { target: { value: 'wrong password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Invalid email or password');
    expect(store.get()).toBeNull();

    fireEvent.change(screen.getByLabelText(/^Password/), { target: { value: 'right password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(currentLocation.path).toBe('/profile'));
    expect(attempts).toBe(2);
    expect(store.get()?.accessToken).toBe('access-1');
    expect(JSON.parse(localStorage.getItem('tracking.session')!).refreshToken).toBe('refresh-1');
  });
});

describe('register', () => {
  it('shows each field error under its input', async () => {
    mockApi((url) =>
      url.pathname === '/api/v1/auth/register'
        ? fail(400, { email: 'Enter a valid email', password: 'Password must be 8 to 128 characters' })
        : undefined,
    );
    renderApp('/register', null);
    fireEvent.change(screen.getByLabelText(/Email/), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('Enter a valid email')).toBeTruthy();
    expect(screen.getByText('Password must be 8 to 128 characters')).toBeTruthy();
    expect(screen.getByLabelText(/Email/).getAttribute('aria-invalid')).toBe('true');
  });
});

describe('expired session', () => {
  it('a 401 whose refresh also fails clears the session and goes to /login?next=', async () => {
    const calls: string[] = [];
    mockApi((url) => {
      calls.push(url.pathname);
      if (url.pathname === '/api/v1/auth/refresh') return fail(401, { message: 'Invalid or expired refresh token' });
      if (url.pathname === '/api/v1/users/me') return fail(401, { message: 'Invalid or expired token' });
      return undefined;
    });
    const { store } = renderApp('/profile?tab=x');
    await waitFor(() => expect(currentLocation.path).toBe('/login?next=%2Fprofile%3Ftab%3Dx'));
    expect(store.get()).toBeNull();
    expect(calls.filter((c) => c === '/api/v1/auth/refresh')).toHaveLength(1);
    expect(await screen.findByRole('heading', { name: 'Log in' })).toBeTruthy();
  });
});

describe('layout', () => {
  it('logs out through the API and lands on /login', async () => {
    const calls: string[] = [];
    mockApi((url) => {
      calls.push(url.pathname);
      if (url.pathname === '/api/v1/auth/logout') return ok({});
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      return undefined;
    });
    const { store } = renderApp('/profile');
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByText('Dashboard')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Log out' }));
    await waitFor(() => expect(currentLocation.path).toBe('/login'));
    expect(calls).toContain('/api/v1/auth/logout');
    expect(store.get()).toBeNull();
  });
});
