import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Channel, Tag, WorkspaceUser } from './types.js';

/** The workspace's people, AI agents, channels and tags, loaded once per page and shared. */
export interface Directory {
  users: WorkspaceUser[];
  channels: Channel[];
  tags: Tag[];
}

const empty: Directory = { users: [], channels: [], tags: [] };

export const DIRECTORY = { users: '/v1/workspaces/users', channels: '/v1/channels/service-account?MaxResultCount=1000', tags: '/v1/tags/service-account?MaxResultCount=1000' };

export function useDirectory(): Directory {
  const [dir, setDir] = useState<Directory>(empty);
  useEffect(() => {
    Promise.all([
      api<WorkspaceUser[]>('GET', DIRECTORY.users).catch(() => []),
      api<{ items: Channel[] }>('GET', DIRECTORY.channels).then((r) => r.items, () => []),
      api<{ items: Tag[] }>('GET', DIRECTORY.tags).then((r) => r.items, () => []),
    ]).then(([users, channels, tags]) => setDir({ users, channels, tags }));
  }, []);
  return dir;
}

/** `@userId` mentions (also `@<userId>`) shown as `@Name`. */
export function withNames(text: string, users: WorkspaceUser[]): string {
  return text.replace(/@<?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})>?/gi, (all, id: string) => {
    const user = users.find((u) => u.id.toLowerCase() === id.toLowerCase());
    return user ? `@${user.name ?? user.email ?? id}` : all;
  });
}

export const displayName = (u: WorkspaceUser) => u.name ?? u.email ?? u.id;

/** Conversations the person marked unread: an open pane does not mark them read again on a live refresh until they are opened anew. */
export const markedUnread = new Set<string>();
