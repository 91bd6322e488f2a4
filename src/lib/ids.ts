import { v7 } from 'uuid';

/** Time-ordered, lowercase, hyphenated UUIDv7: ids sort by creation like Hatif's sequential GUIDs. */
export const newId = (): string => v7();

export const NIL_ID = '00000000-0000-0000-0000-000000000000';
