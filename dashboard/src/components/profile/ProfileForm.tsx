import { Button, Card, Group, Stack, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useUpdateMe } from '../../api/hooks';
import type { User } from '../../api/types';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';
import { SavedAlerts } from '../SavedAlerts';

const FIELDS = ['name'] as const;

export function ProfileForm({ user }: { user: User }) {
  const update = useUpdateMe();
  const [name, setName] = useState(user.name);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    update.mutate(
      { name },
      {
        onSuccess: (u) => {
          setName(u.name);
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
          <SavedAlerts
            error={errors.message}
            saved={saved}
            savedText="Profile saved."
            testId="profile-saved"
            onDismiss={() => setSaved(false)}
          />
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={errors.fields.name}
            required
          />
          <TextInput
            label="Email"
            value={user.email}
            readOnly
            variant="filled"
            description="The email cannot be changed"
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
