import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useMe } from '../api/hooks';
import { PasswordForm } from '../components/profile/PasswordForm';
import { ProfileForm } from '../components/profile/ProfileForm';
import { ErrorState, SkeletonRows } from '../components/QueryState';
import { useDocumentTitle } from '../lib/title';
import { useCurrentSite } from '../site/context';

export function ProfilePage() {
  useDocumentTitle('Profile');
  const me = useMe();
  const { link } = useCurrentSite();
  return (
    <Stack gap="md" maw={720}>
      <Stack gap={0}>
        <Title order={1} size="h2">
          Profile
        </Title>
        <Text size="sm" c="dimmed">
          Time zones, allowed origins and API keys belong to each site: see{' '}
          <Anchor component={Link} to={link('/sites')} size="sm">
            Sites
          </Anchor>
          .
        </Text>
      </Stack>
      {me.isPending && <SkeletonRows rows={6} height={36} />}
      {me.isError && !me.data && <ErrorState error={me.error} onRetry={() => void me.refetch()} />}
      {me.data && (
        <>
          <ProfileForm key={me.data.id} user={me.data} />
          <PasswordForm />
        </>
      )}
    </Stack>
  );
}
