import { Alert, Button, Group, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useCreateSite } from '../../api/hooks';
import type { Site } from '../../api/types';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';
import { browserTimeZone, TimezoneSelect } from '../TimezoneSelect';
import { DOMAIN_HELP } from './SiteForm';

const FIELDS = ['name', 'domain', 'timezone'] as const;

/** A new site: name, optional domain, time zone (the browser's by default). */
export function AddSiteForm({ onCreated, onCancel }: { onCreated: (site: Site) => void; onCancel: () => void }) {
  const create = useCreateSite();
  const [name, setName] = useState('');
  const [domain, setDomain] = useState('');
  const [timezone, setTimezone] = useState(browserTimeZone);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    const body = { name: name.trim(), timezone, ...(domain.trim() ? { domain: domain.trim() } : {}) };
    create.mutate(body, { onSuccess: onCreated, onError: (err) => setErrors(formErrors(err, FIELDS)) });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Add a site">
      <Stack gap="sm">
        {errors.message && (
          <Alert color="red" variant="light" role="alert">
            {errors.message}
          </Alert>
        )}
        <TextInput
          label="Name"
          placeholder="My shop"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={errors.fields.name}
          required
          data-autofocus
        />
        <TextInput
          label="Domain"
          description={`${DOMAIN_HELP} Optional.`}
          placeholder="example.com"
          value={domain}
          onChange={(e) => setDomain(e.currentTarget.value)}
          error={errors.fields.domain}
        />
        <TimezoneSelect
          value={timezone}
          onChange={setTimezone}
          error={errors.fields.timezone}
          description="“Today” and “this month” are counted in this zone"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Add site
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
