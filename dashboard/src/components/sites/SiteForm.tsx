import { Button, Card, Group, NativeSelect, Stack, TagsInput, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useUpdateSite, type SiteChange } from '../../api/hooks';
import type { Site } from '../../api/types';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';
import { SavedAlerts } from '../SavedAlerts';
import { TimezoneSelect } from '../TimezoneSelect';

const FIELDS = ['name', 'domain', 'timezone', 'allowedOrigins', 'retentionDays'] as const;

/** How long raw events are kept ('' is forever). */
const RETENTIONS: Array<{ value: string; label: string }> = [
  { value: '', label: 'Forever' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '180', label: '180 days' },
  { value: '365', label: '1 year' },
  { value: '730', label: '2 years' },
];

/** The choices, with the site's own value when it is none of them (set through the API). */
function retentionChoices(days: number | null | undefined) {
  const own = days == null ? '' : String(days);
  return RETENTIONS.some((r) => r.value === own) ? RETENTIONS : [...RETENTIONS, { value: own, label: `${own} days` }];
}

export const DOMAIN_HELP = 'The host name the site is served from, like example.com (no https://, no path).';

interface Draft {
  name: string;
  domain: string;
  timezone: string;
  allowedOrigins: string[];
  retention: string;
}

function draftOf(site: Site): Draft {
  return {
    name: site.name,
    domain: site.domain ?? '',
    timezone: site.timezone,
    allowedOrigins: site.allowedOrigins,
    retention: site.retentionDays == null ? '' : String(site.retentionDays),
  };
}

/** Only what changed: an unchanged domain is not sent again (it must stay unique). */
export function siteChange(site: Site, draft: Draft): SiteChange {
  const change: SiteChange = {};
  if (draft.name !== site.name) change.name = draft.name;
  const domain = draft.domain.trim();
  if (domain !== (site.domain ?? '')) change.domain = domain || null;
  if (draft.timezone !== site.timezone) change.timezone = draft.timezone;
  if (draft.allowedOrigins.join('\n') !== site.allowedOrigins.join('\n')) change.allowedOrigins = draft.allowedOrigins;
  const retention = draft.retention === '' ? null : Number(draft.retention);
  if (retention !== (site.retentionDays ?? null)) change.retentionDays = retention;
  return change;
}

/** Rename a site, set its domain, time zone, allowed origins and how long it keeps raw events. */
export function SiteForm({ site }: { site: Site }) {
  const update = useUpdateSite();
  const [draft, setDraft] = useState<Draft>(() => draftOf(site));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const set =
    <K extends keyof Draft>(field: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [field]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    const change = siteChange(site, draft);
    if (Object.keys(change).length === 0) {
      setSaved(true);
      return;
    }
    update.mutate(
      { id: site.id, change },
      {
        onSuccess: (s) => {
          setDraft(draftOf(s));
          setSaved(true);
        },
        onError: (err) => setErrors(formErrors(err, FIELDS)),
      },
    );
  };

  return (
    <Card withBorder padding="md">
      <form onSubmit={submit} noValidate aria-label="Site settings">
        <Stack gap="sm">
          <Title order={3} size="h4">
            Settings
          </Title>
          <SavedAlerts
            error={errors.message}
            saved={saved}
            savedText="Site saved."
            testId="site-saved"
            onDismiss={() => setSaved(false)}
          />
          <TextInput
            label="Name"
            value={draft.name}
            onChange={(e) => set('name')(e.currentTarget.value)}
            error={errors.fields.name}
            required
          />
          <TextInput
            label="Domain"
            description={`${DOMAIN_HELP} Leave empty to clear it.`}
            placeholder="example.com"
            value={draft.domain}
            onChange={(e) => set('domain')(e.currentTarget.value)}
            error={errors.fields.domain}
          />
          <TimezoneSelect
            value={draft.timezone}
            onChange={set('timezone')}
            error={errors.fields.timezone}
            description="Days and months are counted in this zone; after a change, past days are re-counted in the new one (exact at once, fast again after a short rebuild)"
          />
          <TagsInput
            label="Allowed origins"
            description="Pages allowed to send events with this site's key, like https://example.com. Empty allows any. Press Enter after each."
            placeholder={draft.allowedOrigins.length ? '' : 'https://example.com'}
            value={draft.allowedOrigins}
            onChange={set('allowedOrigins')}
            error={errors.fields.allowedOrigins}
            clearable
            clearButtonProps={{ 'aria-label': 'Clear allowed origins' }}
            splitChars={[',', ' ']}
          />
          <NativeSelect
            label="Keep raw events"
            description="Older events are deleted from the explorer, exports, funnels and retention; the dashboard's counts stay. Deleted events do not come back."
            data={retentionChoices(site.retentionDays)}
            value={draft.retention}
            onChange={(e) => set('retention')(e.currentTarget.value)}
            error={errors.fields.retentionDays}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={update.isPending}>
              Save site
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
