import { Stack, Title } from '@mantine/core';
import { useMe } from '../api/hooks';
import { ApiKeyCard } from '../components/profile/ApiKeyCard';
import { PasswordForm } from '../components/profile/PasswordForm';
import { ProfileForm } from '../components/profile/ProfileForm';
import { ErrorState, SkeletonRows } from '../components/QueryState';
import { useDocumentTitle } from '../lib/title';

export function ProfilePage() {
  useDocumentTitle('Profile');
  const me = useMe();
  return (
    <Stack gap="md" maw={720}>
      <Title order={1} size="h2">
        Profile
      </Title>
      {me.isPending && <SkeletonRows rows={6} height={36} />}
      {me.isError && !me.data && <ErrorState error={me.error} onRetry={() => void me.refetch()} />}
      {me.data && (
        <>
          <ProfileForm key={me.data.id} user={me.data} />
          <ApiKeyCard apiKey={me.data.apiKey} />
          <PasswordForm />
        </>
      )}
    </Stack>
  );
}
