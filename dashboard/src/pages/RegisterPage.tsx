import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { safeNext, useAuth } from '../auth/context';
import { AuthLayout } from '../components/AuthLayout';
import { browserTimeZone, TimezoneSelect } from '../components/TimezoneSelect';
import { formErrors, NO_ERRORS, type FormErrors } from '../lib/formErrors';
import { useDocumentTitle } from '../lib/title';

const FIELDS = ['name', 'email', 'password', 'confirmPassword', 'timezone'] as const;

export function RegisterPage() {
  useDocumentTitle('Create account');
  const { register } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [form, setForm] = useState({
    name: '',
    email: '',
    password: '',
    confirmPassword: '',
    timezone: browserTimeZone(),
  });
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const set = (field: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await register(form);
      navigate(next, { replace: true });
    } catch (err) {
      setErrors(formErrors(err, FIELDS));
      setBusy(false);
    }
  };

  return (
    <AuthLayout title="Create your account">
      <form onSubmit={submit} noValidate aria-label="Create account">
        <Stack gap="sm">
          {errors.message && (
            <Alert color="red" variant="light" role="alert" data-testid="form-error">
              {errors.message}
            </Alert>
          )}
          <TextInput
            label="Name"
            autoComplete="name"
            required
            value={form.name}
            onChange={(e) => set('name')(e.currentTarget.value)}
            error={errors.fields.name}
          />
          <TextInput
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={form.email}
            onChange={(e) => set('email')(e.currentTarget.value)}
            error={errors.fields.email}
          />
          <PasswordInput
            label="Password"
            description="8 to 128 characters"
            autoComplete="new-password"
            required
            value={form.password}
            onChange={(e) => set('password')(e.currentTarget.value)}
            error={errors.fields.password}
          />
          <PasswordInput
            label="Confirm password"
            autoComplete="new-password"
            required
            value={form.confirmPassword}
            onChange={(e) => set('confirmPassword')(e.currentTarget.value)}
            error={errors.fields.confirmPassword}
          />
          <TimezoneSelect
            value={form.timezone}
            onChange={set('timezone')}
            error={errors.fields.timezone}
            description="Days and months are counted in this zone"
          />
          <Button type="submit" loading={busy} fullWidth mt="xs">
            Create account
          </Button>
          <Text size="sm" ta="center">
            Already registered?{' '}
            <Anchor component={Link} to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`}>
              Log in
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthLayout>
  );
}
