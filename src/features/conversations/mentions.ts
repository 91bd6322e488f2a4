import { errors } from '../../lib/errors.js';

const MENTION = /@([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/gi;

/**
 * The workspace users a note or thread message mentions (`@<userId>`, as Hatif's internal calls
 * write them), each once; a mention of anyone else → 400 naming `member`.
 */
export async function mentionsIn(text: string, member: string, users: (ids: string[]) => Promise<{ id: string }[]>): Promise<string[]> {
  const ids = [...new Set([...text.matchAll(MENTION)].map((m) => m[1]!.toLowerCase()))];
  if (!ids.length) return [];
  const found = new Set((await users(ids)).map((u) => u.id));
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length) throw errors.invalidField(member, `${member}: @${unknown.join(', @')} is not a user of this workspace.`);
  return ids;
}
