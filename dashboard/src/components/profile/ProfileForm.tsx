import { Alert, Button, Card, Group, Stack, TagsInput, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useUpdateMe } from '../../api/hooks';
import type { User } from '../../api/types';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';
import { TimezoneSelect } from '../TimezoneSelect';

const FIELDS = ['name', 'timezone', 'allowedOrigins'] as const;

export function ProfileForm({ user }: { user: User }) {
  const update = useUpdateMe();
  const [name, setName] = useState(user.name);
  const [timezone, setTimezone] = useState(user.timezone);
  const [origins, setOrigins] = useState<string[]>(user.allowedOrigins);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    update.mutate(
      { name, timezone, allowedOrigins: origins },
      {
        onSuccess: (u) => {
          setName(u.name);
          setTimezone(u.timezone);
          setOrigins(u.allowedOrigins);
          setSaved(true);
        },
        onError: (err) => setErrors(formErrors(err, FIELDS)),
      },
    );
  };

  return (
    <Card withBorder padding="md">
      <form onSubmit={submit} noValidate aria-label="Profile">
        <Stack gap="sm">
          <Title order={2} size="h4">
            Profile
          </Title>
          {errors.message && (
            <Alert color="red" variant="light" role="alert">
              {errors.message}
            </Alert>
          )}
          {saved && (
            <Alert color="teal" variant="light" data-testid="profile-saved" withCloseButton closeButtonLabel="Dismiss" onClose={() => setSaved(false)}>
              Profile saved.
            </Alert>
          )}
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.fields.name} required />
          <TextInput label="Email" value={user.email} readOnly variant="filled" description="The email cannot be changed" />
          <TimezoneSelect
            value={timezone}
            onChange={setTimezone}
            error={errors.fields.timezone}
            description="“Today” and “this month” are counted in this zone"
          />
          <TagsInput
            label="Allowed origins"
            description="Sites allowed to send events with your API key, like https://example.com. Empty allows any. Press Enter after each."
            placeholder={origins.length ? '' : 'https://example.com'}
            value={origins}
            onChange={setOrigins}
            error={errors.fields.allowedOrigins}
            clearable
            splitChars={[',', ' ']}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={update.isPending}>
              Save profile
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
