import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { safeNext, useAuth } from '../auth/context';
import { AuthLayout } from '../components/AuthLayout';
import { formErrors, NO_ERRORS, type FormErrors } from '../lib/formErrors';
import { useDocumentTitle } from '../lib/title';

const FIELDS = ['email', 'password'] as const;

/**
 * Sign-in form. On /login it goes to `?next=` afterwards; rendered in place of a protected page
 * (`inline`), it simply lets that page render once the session exists.
 */
export function LoginPage({ inline = false }: { inline?: boolean }) {
  useDocumentTitle('Log in');
  const { login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = inline ? location.pathname + location.search : safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await login(email, password);
      if (!inline) navigate(next, { replace: true });
    } catch (err) {
      setErrors(formErrors(err, FIELDS));
      setBusy(false);
    }
  };

  const registerLink = next === '/' ? '/register' : `/register?next=${encodeURIComponent(next)}`;
  return (
    <AuthLayout title={inline ? 'Sign in to continue' : 'Log in'}>
      <form onSubmit={submit} noValidate aria-label="Log in">
        <Stack gap="sm">
          {errors.message && (
            <Alert color="red" variant="light" role="alert" data-testid="form-error">
              {errors.message}
            </Alert>
          )}
          <TextInput
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={errors.fields.email}
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.fields.password}
          />
          <Button type="submit" loading={busy} fullWidth mt="xs">
            Log in
          </Button>
          <Text size="sm" ta="center">
            No account yet?{' '}
            <Anchor component={Link} to={registerLink}>
              Create one
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthLayout>
  );
}
