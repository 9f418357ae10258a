import { Alert, Button, Card, Group, PasswordInput, Stack, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useUpdateMe } from '../../api/hooks';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';

const FIELDS = ['currentPassword', 'newPassword', 'confirmPassword'] as const;
const EMPTY = { currentPassword: '', newPassword: '', confirmPassword: '' };

export function PasswordForm() {
  const update = useUpdateMe();
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [done, setDone] = useState(false);
  const set = (field: keyof typeof EMPTY) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value;
    setForm((f) => ({ ...f, [field]: value }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setDone(false);
    if (form.newPassword !== form.confirmPassword) {
      setErrors({ fields: { confirmPassword: 'Passwords do not match' }, message: null });
      return;
    }
    update.mutate(form, {
      onSuccess: () => {
        setForm(EMPTY);
        setDone(true);
      },
      onError: (err) => setErrors(formErrors(err, FIELDS)),
    });
  };

  return (
    <Card withBorder padding="md">
      <form onSubmit={submit} noValidate aria-label="Change password">
        <Stack gap="sm">
          <Title order={2} size="h4">
            Change password
          </Title>
          {errors.message && (
            <Alert color="red" variant="light" role="alert">
              {errors.message}
            </Alert>
          )}
          {done && (
            <Alert color="teal" variant="light" title="Password changed" data-testid="password-changed">
              Every other session was signed out. This browser stays signed in.
            </Alert>
          )}
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            value={form.currentPassword}
            onChange={set('currentPassword')}
            error={errors.fields.currentPassword}
            required
          />
          <PasswordInput
            label="New password"
            description="8 to 128 characters"
            autoComplete="new-password"
            value={form.newPassword}
            onChange={set('newPassword')}
            error={errors.fields.newPassword}
            required
          />
          <PasswordInput
            label="Confirm new password"
            autoComplete="new-password"
            value={form.confirmPassword}
            onChange={set('confirmPassword')}
            error={errors.fields.confirmPassword}
            required
          />
          <Group justify="flex-end">
            <Button type="submit" loading={update.isPending}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
