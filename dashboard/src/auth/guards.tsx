import type { ReactNode } from 'react';
import { Navigate, useSearchParams } from 'react-router-dom';
import { LoginPage } from '../pages/LoginPage';
import { safeNext, useAuth } from './context';

/**
 * Dashboard pages need a session. Without one, the sign-in form is shown in place (the URL
 * stays, so a deep link opens the right page once signed in).
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  if (!session) return <LoginPage inline />;
  return <>{children}</>;
}

/** /login and /register send a signed-in user on to the dashboard (or `?next=`). */
export function RedirectIfAuthed({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const [params] = useSearchParams();
  if (session) return <Navigate to={safeNext(params.get('next'))} replace />;
  return <>{children}</>;
}
